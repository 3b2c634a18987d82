//! Progress for long work: indicatif's bar on a terminal, and a plain line every few
//! seconds otherwise (batch logs, CI, `| tee`), where a bar would print nothing.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often the plain form prints a line.
const PLAIN_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    plain: Option<Mutex<Plain>>,
}

#[derive(Debug)]
struct Plain {
    unit: String,
    total: u64,
    done: u64,
    message: String,
    started: Instant,
    last: Instant,
}

impl Progress {
    /// A progress display counting `total` frames; nothing at all with `quiet`.
    pub fn frames(total: u64, quiet: bool) -> Progress {
        Progress::new(total, "frames", quiet)
    }

    /// A progress display counting `total` of `unit` (frames, steps ...); nothing at all
    /// with `quiet`.
    pub fn new(total: u64, unit: &str, quiet: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let bar = if quiet || !terminal {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(total)
        };
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} {{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{per_sec}}, ETA {{eta}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        let now = Instant::now();
        let plain = (!quiet && !terminal).then(|| {
            Mutex::new(Plain {
                unit: unit.to_string(),
                total,
                done: 0,
                message: String::new(),
                started: now,
                last: now,
            })
        });
        Progress { bar, plain }
    }

    pub fn set_message(&self, message: impl Into<String>) {
        let message = message.into();
        if let Some(plain) = &self.plain
            && let Ok(mut p) = plain.lock()
        {
            p.message.clone_from(&message);
        }
        self.bar.set_message(message);
    }

    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
        self.advance(|done| done + n);
    }

    pub fn set_position(&self, position: u64) {
        self.bar.set_position(position);
        self.advance(|_| position);
    }

    fn advance(&self, done: impl FnOnce(u64) -> u64) {
        let Some(plain) = &self.plain else { return };
        let Ok(mut p) = plain.lock() else { return };
        p.done = done(p.done);
        if p.last.elapsed() >= PLAIN_EVERY && p.done < p.total {
            p.last = Instant::now();
            eprintln!("{}", p.line());
        }
    }

    /// A status line above the bar, or on stderr in the plain form (indicatif drops lines
    /// printed through a hidden bar); nothing with `quiet`.
    pub fn println(&self, line: String) {
        if self.plain.is_some() {
            eprintln!("{line}");
        } else if !self.bar.is_hidden() {
            self.bar.println(line);
        }
    }

    pub fn finish_and_clear(&self) {
        self.bar.finish_and_clear();
    }
}

impl Plain {
    fn line(&self) -> String {
        let unit = &self.unit;
        let secs = self.started.elapsed().as_secs_f64();
        let rate = self.done as f64 / secs.max(1e-9);
        let eta = (self.total.saturating_sub(self.done)) as f64 / rate.max(1e-9);
        format!(
            "{} {}/{} {unit} ({:.0} %), {rate:.1} {unit}/s, ETA {}",
            self.message,
            self.done,
            self.total,
            self.done as f64 * 100.0 / self.total.max(1) as f64,
            human(eta)
        )
    }
}

fn human(secs: f64) -> String {
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_line_reports_rate_share_and_eta() {
        let p = Plain {
            unit: "frames".into(),
            total: 200,
            done: 50,
            message: "urban_intersection v1".into(),
            started: Instant::now() - Duration::from_secs(10),
            last: Instant::now(),
        };
        let line = p.line();
        assert!(line.starts_with("urban_intersection v1 50/200 frames (25 %), 5.0 frames/s"));
        assert!(line.ends_with("ETA 30 s"), "{line}");
        assert_eq!(human(3725.0), "1 h 2 min");
        let steps = Plain {
            unit: "steps".into(),
            message: "training on flex".into(),
            ..p
        };
        assert!(
            steps
                .line()
                .starts_with("training on flex 50/200 steps (25 %), 5.0 steps/s"),
            "{}",
            steps.line()
        );
    }
}
