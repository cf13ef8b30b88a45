//! Staff accounts: roles and what each role may do.

use super::choice::choice_enum;

choice_enum!(
    /// What a signed-in person is allowed to do. Least privilege: what each role may do is the
    /// one table in `allows`.
    Role {
        /// Everything, including user management and badge re-issue.
        Admin = "admin": "Admin",
        /// Events, attendees, leads and campaigns.
        Marketer = "marketer": "Marketer",
        /// Door devices and the live operations view.
        Staff = "staff": "Staff",
        /// Their own leads only.
        Sales = "sales": "Sales",
    }
    unknown(raw) => format!("unknown role '{raw}' (admin, marketer, staff or sales)");
);

/// Something a staff page or part of a page lets a person do; `allows` says which roles may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// An event's dashboard, attendee list and pages, and trails (sales start on their own
    /// leads instead).
    SeeEvents,
    /// The live door view: not sales, who see only their own leads.
    WatchLive,
    /// Pairing, naming and revoking door devices.
    ManageDevices,
    /// Printing badges and issuing replacements (the help desk on site).
    PrintBadges,
    /// Reading an event's settings and programme.
    ReadEventSetup,
    /// Creating events and changing their settings and programme.
    EditEventSetup,
    /// Importing attendees from a file: the organiser's office.
    ImportAttendees,
    /// Taking the attendee list away as a file: the organiser's office, not the door.
    ExportAttendees,
    /// Writing, previewing and sending email campaigns.
    RunCampaigns,
    /// An event's leads: the list, packages, builds, report, calibration and insight.
    WorkOnLeads,
    /// Taking leads away as a file and moving them between owners: marketing, not sales.
    ExportLeads,
    /// The data pool: people and companies across events.
    ReadDataPool,
    /// The sales pages: a lead list of one's own. Marketers and admins may own leads too,
    /// and open any lead's package there, but record feedback only on leads they own.
    FollowUpLeads,
    /// The list of follow-ups coming due.
    SeeDueFollowUps,
    /// The alerts on leads that just showed interest again.
    SeeHotLeads,
    /// Leads owned by others on the sales pages (without it, one's own leads only).
    SeeOthersLeads,
    /// Data subject requests: an export holds everything, an erasure is for good.
    HandleDataRequests,
    /// Staff accounts and their roles.
    ManageAccounts,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::SeeEvents,
        Action::WatchLive,
        Action::ManageDevices,
        Action::PrintBadges,
        Action::ReadEventSetup,
        Action::EditEventSetup,
        Action::ImportAttendees,
        Action::ExportAttendees,
        Action::RunCampaigns,
        Action::WorkOnLeads,
        Action::ExportLeads,
        Action::ReadDataPool,
        Action::FollowUpLeads,
        Action::SeeDueFollowUps,
        Action::SeeHotLeads,
        Action::SeeOthersLeads,
        Action::HandleDataRequests,
        Action::ManageAccounts,
    ];
}

/// Whether `role` may do `action`: the one table of who may do what.
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        SeeEvents | WatchLive => matches!(role, Admin | Marketer | Staff),
        ManageDevices | PrintBadges => matches!(role, Admin | Staff),
        ReadEventSetup | ImportAttendees | ExportAttendees | RunCampaigns | WorkOnLeads
        | ExportLeads | ReadDataPool | SeeOthersLeads => matches!(role, Admin | Marketer),
        FollowUpLeads | SeeDueFollowUps | SeeHotLeads => matches!(role, Admin | Marketer | Sales),
        EditEventSetup | HandleDataRequests | ManageAccounts => role == Admin,
    }
}

impl Role {
    /// Whether this role may do `action` (see `allows`).
    pub fn may(self, action: Action) -> bool {
        allows(self, action)
    }
}

/// A login name: 3 to 64 characters of letters, digits, `.`, `_`, `-` or `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, String> {
        let s = raw.trim().to_ascii_lowercase();
        if s.len() < 3 || s.len() > 64 {
            return Err("must be 3 to 64 characters".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err("may only contain letters, digits, '.', '_', '-' and '@'".into());
        }
        Ok(Username(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Minimum password rules: long enough to matter, short enough to hash quickly.
pub fn check_password(pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if n < 10 {
        return Err("must be at least 10 characters".into());
    }
    if n > 256 {
        return Err("must be at most 256 characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_do_exactly_what_the_table_says() {
        use Action::*;
        // Columns: admin, marketer, staff, sales.
        let table: [(Action, [bool; 4]); 18] = [
            (SeeEvents, [true, true, true, false]),
            (WatchLive, [true, true, true, false]),
            (ManageDevices, [true, false, true, false]),
            (PrintBadges, [true, false, true, false]),
            (ReadEventSetup, [true, true, false, false]),
            (EditEventSetup, [true, false, false, false]),
            (ImportAttendees, [true, true, false, false]),
            (ExportAttendees, [true, true, false, false]),
            (RunCampaigns, [true, true, false, false]),
            (WorkOnLeads, [true, true, false, false]),
            (ExportLeads, [true, true, false, false]),
            (ReadDataPool, [true, true, false, false]),
            (FollowUpLeads, [true, true, false, true]),
            (SeeDueFollowUps, [true, true, false, true]),
            (SeeHotLeads, [true, true, false, true]),
            (SeeOthersLeads, [true, true, false, false]),
            (HandleDataRequests, [true, false, false, false]),
            (ManageAccounts, [true, false, false, false]),
        ];
        let listed: Vec<Action> = table.iter().map(|(a, _)| *a).collect();
        assert_eq!(listed, Action::ALL, "every action has one row, in order");
        let roles = [Role::Admin, Role::Marketer, Role::Staff, Role::Sales];
        assert_eq!(roles, Role::ALL);
        for (action, row) in table {
            for (role, allowed) in roles.into_iter().zip(row) {
                assert_eq!(allows(role, action), allowed, "{role} {action:?}");
                assert_eq!(role.may(action), allowed);
            }
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse(" Ada ").unwrap().as_str(), "ada");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("a b c").is_err());
    }

    #[test]
    fn passwords_need_length() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pass").is_ok());
    }
}
