//! Page weight: every file of the portal build, raw, gzip and brotli, against the 250 KB
//! (brotli, everything) budget. The worker is counted too, though it loads only when a key is
//! generated.

use std::{io::Write, path::Path};

use crate::report::{Section, kb};

/// The budget for everything the portal can load, brotli-compressed.
const BUDGET_BROTLI: u64 = 250_000;

pub fn measure(dist: &Path) -> Section {
    let mut section = Section::new(
        "Page weight",
        "Every file of the release build (`cargo xtask build`), compressed at the highest level (gzip -9, brotli 11). \"Worker\" files load only when a key is generated.",
        &["file", "kind", "raw", "gzip", "brotli"],
    );
    let mut files: Vec<_> = std::fs::read_dir(dist)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    files.sort();
    let (mut raw, mut gzip, mut brotli, mut first_load) = (0, 0, 0, 0);
    let mut figures = vec![];
    for path in files {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let Some(kind) = kind(&name) else { continue };
        let bytes = std::fs::read(&path).unwrap_or_default();
        let (g, b) = (gzip_len(&bytes), brotli_len(&bytes));
        raw += bytes.len() as u64;
        gzip += g;
        brotli += b;
        if !name.starts_with("keygen-worker") {
            first_load += b;
        }
        section.row(vec![name.clone(), kind.into(), kb(bytes.len() as u64), kb(g), kb(b)]);
        figures.push(
            serde_json::json!({ "file": name, "kind": kind, "raw": bytes.len(), "gzip": g, "brotli": b }),
        );
    }
    section.row(vec!["**total**".into(), String::new(), kb(raw), kb(gzip), kb(brotli)]);
    section.row(vec![
        "first load (without the worker)".into(),
        String::new(),
        String::new(),
        String::new(),
        kb(first_load),
    ]);
    section.figure("files", figures);
    section.figure(
        "total",
        serde_json::json!({ "raw": raw, "gzip": gzip, "brotli": brotli, "first_load_brotli": first_load }),
    );
    section.verdict(
        format!("page weight under {} brotli, in total", kb(BUDGET_BROTLI)),
        format!(
            "{} ({:.2}x the budget; first load {})",
            kb(brotli),
            brotli as f64 / BUDGET_BROTLI as f64,
            kb(first_load)
        ),
        brotli <= BUDGET_BROTLI,
    );
    section
}

fn kind(name: &str) -> Option<&'static str> {
    let ext = name.rsplit('.').next()?;
    match ext {
        "wasm" => Some("wasm"),
        "js" => Some("js"),
        "css" => Some("css"),
        "html" => Some("html"),
        _ => None,
    }
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
