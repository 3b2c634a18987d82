//! `drivegen validate FILE...`: parses and range-checks each scenario, then plans its
//! first variants (32 unless told), so a file whose rules cannot be met (a lane that is
//! not there, in some variants only) fails here rather than at render time.

use std::path::PathBuf;

use crate::InputError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Plan this many variants of each file (0: every one); rules that fail only in some
    /// scenes are found here rather than at render time.
    #[arg(long, default_value_t = 32)]
    plan_variants: u32,
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    let mut invalid = 0usize;
    let mut report = String::new();
    for file in &args.files {
        match drivegen_scenario::load_file(file) {
            Ok(loaded) => {
                let s = &loaded.scenario;
                let checked = match args.plan_variants {
                    0 => s.variants,
                    n => n.min(s.variants),
                };
                let mut failed: Vec<(u32, drivegen_plan::PlanError)> = (0..checked)
                    .filter_map(|v| drivegen_plan::plan(s, v).err().map(|e| (v, e)))
                    .collect();
                if !failed.is_empty() {
                    invalid += 1;
                    let others: Vec<String> =
                        failed.iter().skip(1).map(|(v, _)| v.to_string()).collect();
                    let (v, e) = failed.swap_remove(0);
                    let failure =
                        super::plan_failure(&loaded, v, &e, "parses and is in range, but ");
                    report.push_str(&failure.0);
                    report.push('\n');
                    if !others.is_empty() {
                        report.push_str(&format!(
                            "  = note: {} of the {checked} variants checked fail to plan \
                             (also {})\n",
                            others.len() + 1,
                            others.join(", ")
                        ));
                    }
                    continue;
                }
                if !quiet {
                    let planned = if checked == s.variants {
                        "every variant plans".to_string()
                    } else {
                        format!("variants 0..{checked} plan")
                    };
                    println!(
                        "{}: ok ({}, {} variant{}; {planned})",
                        file.display(),
                        s.name,
                        s.variants,
                        if s.variants == 1 { "" } else { "s" }
                    );
                }
            }
            Err(e) => {
                invalid += 1;
                report.push_str(&e.to_string());
                report.push('\n');
            }
        }
    }
    if invalid > 0 {
        report.push_str(&format!("{invalid} of {} files invalid", args.files.len()));
        return Err(InputError(report).into());
    }
    Ok(())
}
