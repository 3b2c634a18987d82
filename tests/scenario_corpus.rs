//! The malformed-scenario corpus: every file under `tests/malformed/` must fail to load
//! with exactly the diagnostics (headline with `line:col`, and hint) in its `.expected`
//! sibling. Set `DRIVEGEN_BLESS=1` to rewrite the expectations after reviewing a change.

use std::path::{Path, PathBuf};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed")
}

/// The diagnostics as stable text, with the corpus directory stripped from file names.
fn render(dir: &Path, err: &drivegen_scenario::ScenarioError) -> String {
    let prefix = format!("{}/", dir.display());
    let mut out = String::new();
    for d in err.diagnostics() {
        out.push_str(&d.headline().replace(&prefix, ""));
        out.push('\n');
        if let Some(h) = &d.hint {
            out.push_str(&format!("  = hint: {}\n", h.replace(&prefix, "")));
        }
    }
    out
}

#[test]
fn every_malformed_file_reports_the_expected_errors() {
    let dir = corpus_dir();
    let bless = std::env::var_os("DRIVEGEN_BLESS").is_some();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/malformed exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 25,
        "the corpus needs at least 25 files, has {}",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let actual = match drivegen_scenario::load_file(file) {
            Ok(_) => "<loaded without error>\n".to_string(),
            Err(e) => render(&dir, &e),
        };
        let expected_path = file.with_extension("expected");
        if bless {
            std::fs::write(&expected_path, &actual).expect("write expectation");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}\n--- expected\n{expected}--- actual\n{actual}",
                file.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_headline_names_a_line_and_column() {
    for entry in std::fs::read_dir(corpus_dir())
        .expect("corpus")
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "ron") {
            continue;
        }
        let err = drivegen_scenario::load_file(&path).expect_err("corpus files are malformed");
        for d in err.diagnostics() {
            assert!(
                d.line > 0 && d.col > 0,
                "{}: no position in {}",
                path.display(),
                d.headline()
            );
        }
    }
}

/// The caret line under a misspelt word spans the whole word, a variant as a field.
#[test]
fn a_misspelt_name_is_underlined_whole() {
    for (text, word) in [
        (
            "Scenario(\n    name: \"t\",\n    ego: (class: Bux),\n)\n",
            "Bux",
        ),
        (
            "Scenario(\n    name: \"t\",\n    traffic: (vehicels: 3),\n)\n",
            "vehicels",
        ),
    ] {
        let err = drivegen_scenario::load_str("typo.ron", text).expect_err("a typo");
        let shown = err.diagnostics()[0].to_string();
        let line = text.lines().find(|l| l.contains(word)).expect("the line");
        let caret = format!(
            "{}{}",
            " ".repeat(line.find(word).expect("the word")),
            "^".repeat(word.len())
        );
        assert!(
            shown
                .lines()
                .any(|l| l.ends_with(&caret) && !l.ends_with(&format!("{caret}^"))),
            "{word}:\n{shown}"
        );
    }
}
