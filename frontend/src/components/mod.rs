//! Reusable pieces of the portal: side sheets, notifications, the error panel, form helpers,
//! operation followers.

pub mod error_panel;
pub mod form;
pub mod guard;
pub mod notifications;
pub mod operation_follow;
pub mod side_sheet;
