//! `badgetrail user ...`: staff accounts.

use std::io::BufRead;

use clap::Subcommand;
use jiff::Timestamp;

use crate::{
    accounts,
    context::Context,
    domain::{email::Email, user::Role},
};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account, or reset the password and role of an existing one.
    ///
    /// The password is read from the first line of standard input, or from the
    /// BADGETRAIL_NEW_PASSWORD variable, so it never appears in the process list.
    Add {
        username: String,
        /// admin, marketer, staff or sales.
        #[arg(long)]
        role: String,
        /// Name shown in the staff pages.
        #[arg(long, default_value = "")]
        name: String,
        /// Where reminders about overdue leads go; left out: kept as it was.
        #[arg(long)]
        email: Option<String>,
    },
}

pub async fn run(ctx: Context, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            name,
            email,
        } => {
            let email = email
                .map(|e| Email::parse(&e).map_err(|e| anyhow::anyhow!("--email: {e}")))
                .transpose()?;
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let password = match std::env::var("BADGETRAIL_NEW_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    eprintln!("password (one line on standard input):");
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let created = accounts::upsert_user(
                &ctx.store,
                &username,
                &name,
                role,
                &password,
                Timestamp::now(),
            )
            .await?;
            if let Some(email) = &email {
                ctx.store
                    .leads()
                    .set_user_email(&username.trim().to_ascii_lowercase(), Some(email.as_str()))
                    .await?;
            }
            println!(
                "{} user {} with role {role}",
                if created { "created" } else { "updated" },
                username.trim().to_ascii_lowercase()
            );
            Ok(())
        }
    }
}
