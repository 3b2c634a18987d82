//! `drivegen validate FILE...`: parses and range-checks each scenario, then plans its
//! first variant, so a file whose rules cannot be met (a lane that is not there) fails
//! here rather than at render time.

use std::path::PathBuf;

use crate::InputError;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn run(args: Args, quiet: bool) -> anyhow::Result<()> {
    let mut invalid = 0usize;
    let mut report = String::new();
    for file in &args.files {
        match drivegen_scenario::load_file(file) {
            Ok(loaded) => {
                let s = &loaded.scenario;
                if let Err(e) = drivegen_plan::plan(s, 0) {
                    invalid += 1;
                    let failure =
                        super::plan_failure(&loaded, 0, &e, "parses and is in range, but ");
                    report.push_str(&failure.0);
                    report.push('\n');
                    continue;
                }
                if !quiet {
                    println!(
                        "{}: ok ({}, {} variant{}; variant 0 plans)",
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
