//! Campaigns: the list and steps (audience, content, preview, send, report), tracking,
//! unsubscribing, returned mail.

pub mod actions;
pub mod audience;
pub mod audience_page;
pub mod content;
pub mod content_edit;
pub mod figures;
pub mod file;
pub mod inbound;
pub mod list;
pub mod overview;
pub mod preview;
pub mod report;
pub mod send;
pub mod settings;
pub mod steps;
pub mod tracking;
pub mod unsubscribe;
