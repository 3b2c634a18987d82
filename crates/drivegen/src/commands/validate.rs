//! `drivegen validate FILE...`

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
                if !quiet {
                    println!(
                        "{}: ok ({}, {} variant{})",
                        file.display(),
                        loaded.scenario.name,
                        loaded.scenario.variants,
                        if loaded.scenario.variants == 1 {
                            ""
                        } else {
                            "s"
                        }
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
