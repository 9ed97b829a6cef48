//! The CCTray v1 document of a repo's newest pipeline (api.md §3.16), written by hand because
//! poem's `Xml` payload cannot write attributes or name its root element.

use chrono::DateTime;

use crate::adapters::http::api::badges::svg::escape;
use crate::domain::pipeline::Pipeline;
use crate::domain::repo::Repo;
use crate::domain::status::Status;

/// `<Projects><Project …/></Projects>` for `pipeline` of `repo`, linking to `web_url`.
pub fn render(repo: &Repo, pipeline: &Pipeline, web_url: &str) -> String {
    let building = matches!(pipeline.status, Status::Pending | Status::Running | Status::Blocked);
    let (activity, label, time) = if building {
        ("Building", "Unknown".to_owned(), String::new())
    } else {
        let time = DateTime::from_timestamp(pipeline.started, 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        ("Sleeping", pipeline.number.to_string(), time)
    };
    let status = match pipeline.status {
        Status::Success => "Success",
        Status::Failure => "Failure",
        Status::Error | Status::Killed => "Exception",
        _ => "Unknown",
    };
    format!(
        r#"<Projects><Project name="{}" activity="{activity}" lastBuildStatus="{status}" lastBuildLabel="{label}" lastBuildTime="{time}" webUrl="{}"></Project></Projects>"#,
        escape(&repo.full_name),
        escape(web_url),
    )
}
