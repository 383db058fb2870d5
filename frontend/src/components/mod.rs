//! Reusable pieces of the portal: side sheets, notifications, the error panel, form helpers.

pub mod error_panel;
pub mod form;
pub mod notifications;
pub mod side_sheet;
