//! Leads: the list, the build button, the package, the report and calibration, sales pages, the due
//! list, hot leads.

pub mod build;
pub mod calibration;
pub mod due;
pub mod export;
pub mod hot;
pub mod list;
pub mod package;
pub mod report;
pub mod sales;
