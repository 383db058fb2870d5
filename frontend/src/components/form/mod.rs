//! Form helpers: unique ids for label/control pairs, date conversion.

use std::sync::atomic::{AtomicU32, Ordering};

use shared::model::Timestamp;

static NEXT: AtomicU32 = AtomicU32::new(1);

/// A document-unique element id with a readable prefix.
pub fn unique_id(prefix: &str) -> String {
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Seconds since the epoch, now.
pub fn now() -> Timestamp {
    Timestamp((js_sys::Date::now() / 1000.0) as i64)
}

/// `YYYY-MM-DD` (an `<input type="date">` value, taken as UTC midnight) to a timestamp.
pub fn parse_date(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let ms = js_sys::Date::parse(&format!("{value}T00:00:00Z"));
    if ms.is_nan() { None } else { Some(Timestamp((ms / 1000.0) as i64)) }
}

/// A timestamp as `YYYY-MM-DD`.
pub fn date_value(ts: Timestamp) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts.0 as f64 * 1000.0));
    let iso: String = d.to_iso_string().into();
    iso.chars().take(10).collect()
}

/// A timestamp as a readable UTC date and time.
pub fn date_time(ts: Timestamp) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts.0 as f64 * 1000.0));
    let iso: String = d.to_iso_string().into();
    format!("{} {} UTC", &iso[..10], &iso[11..16])
}

/// A date `days` from today, as an input value.
pub fn date_in_days(days: i64) -> String {
    date_value(Timestamp(now().0 + days * Timestamp::DAY))
}
