//! Names the docker backend gives to what it creates, and the image references it pulls.

use crate::adapters::backend::safe_name;
use crate::domain::workload::{StepSpec, Workload};

/// The container of a step: `wp_<uuid>` as upstream, so a step is found by its UUID; steps
/// without one (payloads of other servers) are named by task and step name.
pub fn container_name(task_id: &str, step: &StepSpec) -> String {
    if step.uuid.is_empty() {
        format!("wp_{}_{}", safe_name(task_id), safe_name(&step.name))
    } else {
        format!("wp_{}", safe_name(&step.uuid))
    }
}

/// The network and volume of a workflow: the payload's, or `wp_<task>_default` when it names
/// none.
pub fn workflow_resources(task_id: &str, workload: &Workload) -> (String, String) {
    let fallback = || format!("wp_{}_default", safe_name(task_id));
    let pick = |name: &str| if name.is_empty() { fallback() } else { name.to_owned() };
    (pick(&workload.network), pick(&workload.volume))
}

/// An image reference split as the pull API wants it: `(image, tag)`. A reference without tag
/// or digest gets `latest`, since an empty tag would pull every tag of the repository.
pub fn pull_reference(image: &str) -> (String, String) {
    if let Some((name, digest)) = image.split_once('@') {
        return (name.to_owned(), digest.to_owned());
    }
    let last_segment_start = image.rfind('/').map_or(0, |slash| slash + 1);
    match image[last_segment_start..].rfind(':') {
        Some(colon) => {
            let colon = last_segment_start + colon;
            (image[..colon].to_owned(), image[colon + 1..].to_owned())
        }
        None => (image.to_owned(), "latest".to_owned()),
    }
}

/// `linux/amd64` from what the daemon reports (`linux`, `x86_64`), in Go's architecture names.
pub fn platform(os_type: &str, architecture: &str) -> String {
    let arch = match architecture {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os_type}/{arch}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_named_after_the_step_uuid() {
        let step = StepSpec { name: "build".into(), uuid: "01JABC".into(), ..StepSpec::default() };
        assert_eq!(container_name("7", &step), "wp_01JABC");
        let anonymous = StepSpec { name: "my step".into(), ..StepSpec::default() };
        assert_eq!(container_name("7", &anonymous), "wp_7_my_step");
    }

    #[test]
    fn workflows_without_names_get_the_task_ones() {
        let named =
            Workload { network: "wp_x_default".into(), volume: "wp_x_vol".into(), ..Workload::default() };
        assert_eq!(workflow_resources("7", &named), ("wp_x_default".into(), "wp_x_vol".into()));
        assert_eq!(
            workflow_resources("7", &Workload::default()),
            ("wp_7_default".into(), "wp_7_default".into())
        );
    }

    #[test]
    fn pull_references_default_to_latest() {
        let split = |image| pull_reference(image);
        assert_eq!(split("alpine"), ("alpine".into(), "latest".into()));
        assert_eq!(split("alpine:3.20"), ("alpine".into(), "3.20".into()));
        assert_eq!(split("localhost:5000/team/app"), ("localhost:5000/team/app".into(), "latest".into()));
        assert_eq!(split("localhost:5000/team/app:v1"), ("localhost:5000/team/app".into(), "v1".into()));
        assert_eq!(split("alpine@sha256:abc"), ("alpine".into(), "sha256:abc".into()));
    }

    #[test]
    fn platforms_use_go_architecture_names() {
        assert_eq!(platform("linux", "x86_64"), "linux/amd64");
        assert_eq!(platform("linux", "aarch64"), "linux/arm64");
        assert_eq!(platform("windows", "arm"), "windows/arm");
    }
}
