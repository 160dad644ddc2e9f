//! Reading the C programs' output, and writing the table and `summary.json`.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use serde_json::{json, Map, Value};

/// One measurement: the median of its repetitions.
#[derive(Clone, Debug)]
pub struct Measure {
    pub median: f64,
    pub unit: String,
    pub samples: Vec<f64>,
}

impl Measure {
    pub fn to_json(&self) -> Value {
        json!({ "median": self.median, "unit": self.unit, "samples": self.samples })
    }
}

/// One churn checkpoint.
#[derive(Clone, Copy, Debug)]
pub struct ChurnPoint {
    pub cycle: u64,
    pub pages: i64,
    pub table: i64,
    pub rss: i64,
    pub malloc_probe: u64,
    pub data_addr: u64,
    /// Time per cycle since the previous checkpoint.
    pub ns_per_cycle: f64,
}

/// Everything one program run printed.
#[derive(Default, Debug)]
pub struct Parsed {
    pub results: BTreeMap<String, Measure>,
    pub churn: Vec<ChurnPoint>,
    pub checks: BTreeMap<String, String>,
    pub failure: Option<String>,
}

/// Parses `RESULT`, `SAMPLES`, `CHURN`, `CHECK` and `FAIL` lines.
pub fn parse(stdout: &str) -> Result<Parsed> {
    let mut parsed = Parsed::default();
    let mut samples: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for line in stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["RESULT", name, value, unit] => {
                let median: f64 = value
                    .parse()
                    .map_err(|_| anyhow::anyhow!("bad RESULT line {line:?}"))?;
                parsed.results.insert(
                    name.to_string(),
                    Measure {
                        median,
                        unit: unit.to_string(),
                        samples: Vec::new(),
                    },
                );
            }
            ["SAMPLES", name, _unit, values @ ..] => {
                let values: Result<Vec<f64>, _> = values.iter().map(|v| v.parse::<f64>()).collect();
                let values = values.map_err(|_| anyhow::anyhow!("bad SAMPLES line {line:?}"))?;
                samples.insert(name.to_string(), values);
            }
            ["CHURN", cycle, pages, table, rss, probe, data, ns] => {
                let bad = || anyhow::anyhow!("bad CHURN line {line:?}");
                parsed.churn.push(ChurnPoint {
                    cycle: cycle.parse().map_err(|_| bad())?,
                    pages: pages.parse().map_err(|_| bad())?,
                    table: table.parse().map_err(|_| bad())?,
                    rss: rss.parse().map_err(|_| bad())?,
                    malloc_probe: probe.parse().map_err(|_| bad())?,
                    data_addr: data.parse().map_err(|_| bad())?,
                    ns_per_cycle: ns.parse().map_err(|_| bad())?,
                });
            }
            ["CHECK", name, value] => {
                parsed.checks.insert(name.to_string(), value.to_string());
            }
            ["FAIL", ..] => parsed.failure = Some(line["FAIL".len()..].trim().to_string()),
            _ => {}
        }
    }
    for (name, values) in samples {
        if let Some(m) = parsed.results.get_mut(&name) {
            m.samples = values;
        }
    }
    Ok(parsed)
}

/// The median of `values` (NaN for none).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Gathers measurements by name, wasm and native side by side.
#[derive(Default)]
pub struct Collected {
    pub wasm: BTreeMap<String, Measure>,
    pub native: BTreeMap<String, Measure>,
}

impl Collected {
    pub fn wasm(&self, name: &str) -> Result<f64> {
        get(&self.wasm, name, "wasm")
    }

    pub fn native(&self, name: &str) -> Result<f64> {
        get(&self.native, name, "native")
    }
}

fn get(map: &BTreeMap<String, Measure>, name: &str, side: &str) -> Result<f64> {
    match map.get(name) {
        Some(m) => Ok(m.median),
        None => bail!("no {side} result {name}"),
    }
}

pub fn measures_json(map: &BTreeMap<String, Measure>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, m)| (k.clone(), m.to_json()))
            .collect::<Map<_, _>>(),
    )
}

/// A human-readable quantity: `ns` values grow into µs and ms.
pub fn human(value: f64, unit: &str) -> String {
    if !value.is_finite() {
        return "-".into();
    }
    let ns = match unit {
        "ns" => value,
        "us" => value * 1e3,
        "ms" => value * 1e6,
        "B" => return human_bytes(value),
        _ => return format!("{value:.3} {unit}"),
    };
    if ns.abs() >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns.abs() >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

pub fn human_bytes(bytes: f64) -> String {
    let abs = bytes.abs();
    if abs >= 1024.0 * 1024.0 {
        format!("{:+.1} MiB", bytes / 1024.0 / 1024.0)
    } else if abs >= 1024.0 {
        format!("{:+.1} KiB", bytes / 1024.0)
    } else {
        format!("{bytes:+.0} B")
    }
}

/// A table of rows: name, wasi-dl, native, ratio, target.
#[derive(Default)]
pub struct Table {
    rows: Vec<[String; 5]>,
}

impl Table {
    pub fn section(&mut self, title: &str) {
        self.rows.push([
            title.to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }

    pub fn row(
        &mut self,
        name: &str,
        ours: String,
        native: String,
        ratio: Option<f64>,
        target: &str,
    ) {
        let ratio = ratio
            .filter(|r| r.is_finite())
            .map(|r| format!("{r:.2}×"))
            .unwrap_or_default();
        self.rows
            .push([format!("  {name}"), ours, native, ratio, target.to_string()]);
    }

    pub fn render(&self) -> String {
        let header = ["benchmark", "wasi-dl", "native", "ratio", "target"];
        let mut widths = header.map(|h| h.chars().count());
        for row in &self.rows {
            if row[1].is_empty() && row[2].is_empty() {
                continue; // section titles may overhang
            }
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let line = |cells: &[String; 5], out: &mut String| {
            let mut s = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                let pad = w.saturating_sub(cell.chars().count());
                if i == 0 {
                    s.push_str(cell);
                    s.push_str(&" ".repeat(pad));
                } else {
                    s.push_str("  ");
                    s.push_str(&" ".repeat(pad));
                    s.push_str(cell);
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(&header.map(String::from), &mut out);
        let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        out.push_str(&"-".repeat(total));
        out.push('\n');
        for row in &self.rows {
            line(row, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_results_samples_and_churn() {
        let p = parse(
            "INFO x\nSAMPLES a ns 1 3 2\nRESULT a 2.0000 ns\nCHURN 10 17 30 1000 5000 6000 12.5\nCHECK big 7\n",
        )
        .unwrap();
        assert_eq!(p.results["a"].median, 2.0);
        assert_eq!(p.results["a"].samples, vec![1.0, 3.0, 2.0]);
        assert_eq!(p.churn[0].table, 30);
        assert_eq!(p.checks["big"], "7");
        assert!(p.failure.is_none());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
