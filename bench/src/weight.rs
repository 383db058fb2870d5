//! Page weight: every file of the portal build, raw, gzip and brotli. The budget is the main
//! bundle's first load: what every visit downloads before anything renders (the page, the
//! stylesheet, the main module and its chunk loader). Each blade's chunk loads the first time its
//! page opens; the worker loads when a key is generated or the offline demo starts.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use crate::report::{Section, kb};

/// The budget for the main bundle's first load, brotli-compressed.
const BUDGET_BROTLI: u64 = 250_000;

pub fn measure(dist: &Path) -> Section {
    let mut section = Section::new(
        "Page weight",
        "Every file of the release build (`cargo xtask build`), compressed at the highest level (gzip -9, brotli 11). \"main\" files load on every first visit; a \"blade\" chunk loads the first time its page opens, with the \"shared\" chunks it needs; \"worker\" files load when a key is generated or the offline demo starts.",
        &["file", "kind", "raw", "gzip", "brotli"],
    );
    let mut files = vec![];
    collect(dist, &mut files);
    files.sort();
    let mut totals = std::collections::BTreeMap::<&str, (u64, u64, u64)>::new();
    let mut figures = vec![];
    for path in files {
        let name = path.strip_prefix(dist).unwrap_or(&path).to_string_lossy().to_string();
        let Some(kind) = kind(&name) else { continue };
        let bytes = std::fs::read(&path).unwrap_or_default();
        let (g, b) = (gzip_len(&bytes), brotli_len(&bytes));
        let total = totals.entry(kind).or_default();
        *total = (total.0 + bytes.len() as u64, total.1 + g, total.2 + b);
        // Chunks are many and small: the table lists the main and worker files and each blade.
        if kind != "shared" {
            section.row(vec![name.clone(), kind.into(), kb(bytes.len() as u64), kb(g), kb(b)]);
        }
        figures.push(
            serde_json::json!({ "file": name, "kind": kind, "raw": bytes.len(), "gzip": g, "brotli": b }),
        );
    }
    for (kind, (raw, gzip, brotli)) in &totals {
        section.row(vec![format!("**all {kind} files**"), String::new(), kb(*raw), kb(*gzip), kb(*brotli)]);
    }
    let first_load = totals.get("main").map_or(0, |t| t.2);
    section.figure("files", figures);
    section.figure(
        "totals",
        serde_json::json!(
            totals
                .iter()
                .map(|(k, t)| (k.to_string(), serde_json::json!({ "raw": t.0, "gzip": t.1, "brotli": t.2 })))
                .collect::<serde_json::Map<_, _>>()
        ),
    );
    section.verdict(
        format!("main bundle's first load at most {} brotli", kb(BUDGET_BROTLI)),
        format!("{} ({:.2}x the budget)", kb(first_load), first_load as f64 / BUDGET_BROTLI as f64),
        first_load <= BUDGET_BROTLI,
    );
    section
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// What a file of the build is, by its name (see `cargo xtask build`).
fn kind(name: &str) -> Option<&'static str> {
    let file = name.rsplit('/').next()?;
    let ext = file.rsplit('.').next()?;
    if !matches!(ext, "wasm" | "js" | "css" | "html") {
        return None;
    }
    Some(if file.starts_with("keygen-worker") {
        "worker"
    } else if file.starts_with("split_") {
        "blade"
    } else if file.starts_with("chunk_") {
        "shared"
    } else {
        "main"
    })
}

fn gzip_len(bytes: &[u8]) -> u64 {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(bytes);
    encoder.finish().map_or(0, |v| v.len() as u64)
}

fn brotli_len(bytes: &[u8]) -> u64 {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    let _ = brotli::BrotliCompress(&mut &bytes[..], &mut out, &params);
    out.len() as u64
}
