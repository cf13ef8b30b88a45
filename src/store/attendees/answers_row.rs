//! Reading an attendee's answers from a row: the four choice columns become their lists'
//! values once, here, and a value no list knows fails the read as corrupt data.

use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

use crate::domain::{
    attendee::{Answers, CompanySize, DecisionRole, Industry, PurchaseStage},
    choice::OrBlank,
};

impl<'r, R: Row> FromRow<'r, R> for Answers
where
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    OrBlank<DecisionRole>: Decode<'r, R::Database> + Type<R::Database>,
    OrBlank<PurchaseStage>: Decode<'r, R::Database> + Type<R::Database>,
    OrBlank<Industry>: Decode<'r, R::Database> + Type<R::Database>,
    OrBlank<CompanySize>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Answers> {
        Ok(Answers {
            company: row.try_get("company")?,
            job_title: row.try_get("job_title")?,
            decision_role: row.try_get::<OrBlank<_>, _>("decision_role")?.0,
            purchase_stage: row.try_get::<OrBlank<_>, _>("purchase_stage")?.0,
            industry: row.try_get::<OrBlank<_>, _>("industry")?.0,
            company_size: row.try_get::<OrBlank<_>, _>("company_size")?.0,
            country: row.try_get("country")?,
        })
    }
}
