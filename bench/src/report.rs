//! Figures, their statistics and the report (Markdown for people, JSON for tools).

use std::{path::Path, process::Command, time::Duration};

use serde::Serialize;
use serde_json::{Value, json};

/// Summary statistics of a sample, in the sample's unit.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Stats {
    pub runs: usize,
    pub min: f64,
    pub median: f64,
    pub p99: f64,
    pub max: f64,
}

impl Stats {
    pub fn of(samples: &[f64]) -> Stats {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| {
            if sorted.is_empty() {
                return f64::NAN;
            }
            let rank = (q * (sorted.len() - 1) as f64).round() as usize;
            sorted[rank]
        };
        Stats { runs: sorted.len(), min: at(0.0), median: at(0.5), p99: at(0.99), max: at(1.0) }
    }
}

/// A target and whether this run met it.
#[derive(Debug, Serialize)]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub met: bool,
}

/// One part of the report: a table, the raw figures and the targets it checks.
pub struct Section {
    pub title: String,
    pub note: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub figures: Value,
    pub verdicts: Vec<Verdict>,
}

impl Section {
    pub fn new(title: &str, note: &str, columns: &[&str]) -> Self {
        Section {
            title: title.into(),
            note: note.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: vec![],
            figures: json!({}),
            verdicts: vec![],
        }
    }

    /// Adds a sentence to the section's note (what went wrong in a run, say).
    pub fn note(&mut self, sentence: impl AsRef<str>) {
        self.note.push(' ');
        self.note.push_str(sentence.as_ref());
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn figure(&mut self, name: &str, value: impl Serialize) {
        self.figures[name] = serde_json::to_value(value).unwrap_or(Value::Null);
    }

    pub fn verdict(&mut self, target: impl Into<String>, measured: impl Into<String>, met: bool) {
        self.verdicts.push(Verdict { target: target.into(), measured: measured.into(), met });
    }
}

pub struct Report {
    date: String,
    machine: Value,
    sections: Vec<Section>,
    duration: Duration,
}

impl Report {
    pub fn new() -> Self {
        Report {
            date: command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            machine: machine(),
            sections: vec![],
            duration: Duration::ZERO,
        }
    }

    pub fn add(&mut self, section: Section) {
        self.sections.push(section);
    }

    pub fn finish(&mut self, duration: Duration) {
        self.duration = duration;
    }

    /// Writes `report.md` and `report.json` into `dir`; returns the Markdown.
    pub fn write(&self, dir: &Path) -> std::io::Result<String> {
        std::fs::create_dir_all(dir)?;
        let markdown = self.markdown();
        std::fs::write(dir.join("report.md"), &markdown)?;
        std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(&self.json())?)?;
        Ok(markdown)
    }

    fn markdown(&self) -> String {
        let m = &self.machine;
        let mut out = format!(
            "# Keyblade benchmarks\n\n{} on {} ({} cores, {} GiB RAM), {}, {}. Suite took {:.0} s.\n\n## Targets\n\n| target | measured | met |\n|---|---|---|\n",
            self.date,
            m["cpu"].as_str().unwrap_or("?"),
            m["cores"],
            m["memory_gib"],
            m["browser"].as_str().unwrap_or("?"),
            m["rustc"].as_str().unwrap_or("?"),
            self.duration.as_secs_f64()
        );
        for v in self.sections.iter().flat_map(|s| &s.verdicts) {
            out += &format!("| {} | {} | {} |\n", v.target, v.measured, if v.met { "yes" } else { "**no**" });
        }
        for s in &self.sections {
            out += &format!(
                "\n## {}\n\n{}\n\n| {} |\n|{}\n",
                s.title,
                s.note,
                s.columns.join(" | "),
                "---|".repeat(s.columns.len())
            );
            for row in &s.rows {
                out += &format!("| {} |\n", row.join(" | "));
            }
        }
        out
    }

    fn json(&self) -> Value {
        let sections: Vec<Value> = self
            .sections
            .iter()
            .map(|s| json!({ "title": s.title, "figures": s.figures, "verdicts": s.verdicts }))
            .collect();
        json!({ "date": self.date, "machine": self.machine, "duration_s": self.duration.as_secs_f64(), "sections": sections })
    }
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    let browser = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    json!({
        "cpu": cpu.unwrap_or_else(|| "unknown CPU".into()),
        "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        "memory_gib": (kib / 1024.0 / 1024.0).round(),
        "browser": command_output(&browser, &["--version"]),
        "rustc": command_output("rustc", &["--version"]),
    })
}

fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{program}: unknown"))
}

/// `12.3 ms`-style formatting for tables.
pub fn ms(value: f64) -> String {
    if value >= 100.0 { format!("{value:.0} ms") } else { format!("{value:.1} ms") }
}

pub fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

pub fn ratio(value: f64, reference: f64) -> String {
    format!("{:.2}x", value / reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_rank_the_samples_whatever_their_order() {
        let s = Stats::of(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!((s.runs, s.min, s.median, s.max), (5, 1.0, 3.0, 5.0));
        assert_eq!(s.p99, 5.0);
        assert!(Stats::of(&[]).median.is_nan());
    }

    #[test]
    fn a_section_reports_its_verdicts_in_the_summary() {
        let mut report = Report::new();
        let mut section = Section::new("Demo", "A note.", &["a", "b"]);
        section.row(vec!["1".into(), "2".into()]);
        section.verdict("under 10 ms", "12 ms", false);
        report.add(section);
        let markdown = report.markdown();
        assert!(markdown.contains("| under 10 ms | 12 ms | **no** |"), "{markdown}");
        assert!(markdown.contains("| a | b |\n|---|---|\n| 1 | 2 |"), "{markdown}");
    }
}
