//! Pure lead intelligence: interest from trails, tiers, rules, packages, routing, content, insight, next needs, calibration, follow-up, the playbook, deadlines and watch rules.

pub mod account_routing;
pub mod build;
pub mod calibration;
pub mod content;
pub mod elsewhere;
pub mod feedback_deadline;
pub mod follow_up;
pub mod insight;
pub mod interest;
pub mod main_topic;
pub mod next_need;
pub mod package;
pub mod playbook;
pub mod report;
pub mod routing;
pub mod rules;
pub mod tier;
pub mod watch;
