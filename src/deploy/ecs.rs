//! Restarting Ghost on ECS: `UpdateService` with `forceNewDeployment`, then `DescribeServices`
//! until the service is stable by the rule of the AWS CLI's `services-stable` waiter (exactly
//! one deployment, and as many tasks running as desired), and, where ECS reports it, the new
//! deployment's `rolloutState` COMPLETED (FAILED stops the wait with an error).

use super::WaitOptions;
use crate::error::{Error, Result};
use crate::progress::{Cancel, Progress, Task};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RedeployReport {
    pub cluster: String,
    pub service: String,
    /// The deployment the forced update started.
    pub deployment_id: Option<String>,
    pub task_definition: Option<String>,
    pub desired: i32,
    pub running: i32,
    /// `stable`, or `waiting stopped` (Ctrl-C: the deployment goes on).
    pub state: String,
    pub elapsed_ms: u64,
}

fn ecs_error<E>(
    what: &str,
    cluster: &str,
    service: &str,
    e: &aws_sdk_ecs::error::SdkError<E, aws_sdk_ecs::config::http::HttpResponse>,
) -> Error
where
    E: aws_sdk_ecs::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = crate::aws::service_code(e)
        .map(|(c, _)| c)
        .unwrap_or_default();
    let msg = crate::aws::describe(e);
    let hint = match code.as_str() {
        "ClusterNotFoundException" => format!(
            "check ecs_cluster = {cluster:?} in the plan (aws ecs list-clusters) and the region"
        ),
        "ServiceNotFoundException" | "ServiceNotActiveException" => format!(
            "check ecs_service = {service:?} in the plan (aws ecs list-services --cluster {cluster})"
        ),
        "AccessDeniedException" => {
            "the credentials need ecs:UpdateService and ecs:DescribeServices on the service".into()
        }
        _ => "check the cluster, service, region and credentials".into(),
    };
    if matches!(
        code.as_str(),
        "ClusterNotFoundException"
            | "ServiceNotFoundException"
            | "ServiceNotActiveException"
            | "AccessDeniedException"
            | "InvalidParameterException"
    ) {
        Error::usage(format!("{what} {cluster}/{service}: {msg}"), hint)
    } else {
        Error::Aws {
            msg: format!("{what} {cluster}/{service}: {msg}"),
            hint: Some(hint),
        }
    }
}

/// Forces a new deployment of `service` in `cluster` and waits until it is stable.
pub async fn redeploy(
    client: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
    opts: &WaitOptions,
    progress: &dyn Progress,
    cancel: &Cancel,
) -> Result<RedeployReport> {
    let started = std::time::Instant::now();
    let out = client
        .update_service()
        .cluster(cluster)
        .service(service)
        .force_new_deployment(true)
        .send()
        .await
        .map_err(|e| ecs_error("cannot start a new deployment of", cluster, service, &e))?;
    let svc = out.service();
    let primary = svc.and_then(|s| {
        s.deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"))
            .cloned()
    });
    let deployment_id = primary.as_ref().and_then(|d| d.id().map(str::to_string));
    let task_definition = svc.and_then(|s| s.task_definition().map(str::to_string));
    progress.start(Task::Items {
        label: "ECS tasks running",
        total: svc.map(|s| s.desired_count().max(0) as u64).unwrap_or(0),
    });
    progress.status(&format!(
        "new deployment {} of {cluster}/{service} started",
        deployment_id.as_deref().unwrap_or("(no id)")
    ));
    let mut last = String::new();
    loop {
        let d = client
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| ecs_error("cannot describe", cluster, service, &e))?;
        if let Some(f) = d.failures().first() {
            return Err(Error::usage(
                format!(
                    "ECS service {cluster}/{service}: {}",
                    f.reason().unwrap_or("not found")
                ),
                "check ecs_cluster and ecs_service in the plan",
            ));
        }
        let Some(s) = d.services().first() else {
            return Err(Error::usage(
                format!("ECS service {cluster}/{service} was not found"),
                "check ecs_cluster and ecs_service in the plan",
            ));
        };
        let deployments = s.deployments();
        let (desired, running) = (s.desired_count(), s.running_count());
        let ours = deployments
            .iter()
            .find(|x| x.id().is_some() && x.id() == deployment_id.as_deref())
            .or_else(|| deployments.iter().find(|x| x.status() == Some("PRIMARY")));
        let rollout = ours
            .and_then(|x| x.rollout_state())
            .map(|r| r.as_str().to_string());
        if rollout.as_deref() == Some("FAILED") {
            return Err(Error::Aws {
                msg: format!(
                    "the new deployment of {cluster}/{service} failed: {}",
                    ours.and_then(|x| x.rollout_state_reason()).unwrap_or("no reason given")
                ),
                hint: Some("look at the service's events (aws ecs describe-services) and the stopped tasks' reasons; Ghost keeps running the previous tasks if the circuit breaker rolled back".into()),
            });
        }
        progress.set(running.max(0) as u64);
        let line = format!(
            "{running}/{desired} tasks running, {} deployment(s){}",
            deployments.len(),
            rollout
                .as_deref()
                .map(|r| format!(", rollout {r}"))
                .unwrap_or_default()
        );
        if line != last {
            progress.message(&line);
            progress.status(&line);
            last = line;
        }
        let report = |state: &str| RedeployReport {
            cluster: cluster.into(),
            service: service.into(),
            deployment_id: deployment_id.clone(),
            task_definition: task_definition.clone(),
            desired,
            running,
            state: state.into(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        let stable = deployments.len() == 1
            && running == desired
            && rollout.as_deref().is_none_or(|r| r == "COMPLETED");
        if stable {
            progress.finish();
            return Ok(report("stable"));
        }
        if started.elapsed() >= opts.timeout {
            progress.finish();
            return Err(Error::Aws {
                msg: format!(
                    "{cluster}/{service} was not stable after {} s ({last})",
                    opts.timeout.as_secs()
                ),
                hint: Some("the deployment goes on in ECS; run the plan again to wait for it (it resumes at the restart step)".into()),
            });
        }
        if !super::sleep_unless_cancelled(opts.poll, cancel).await {
            progress.finish();
            return Ok(report("waiting stopped"));
        }
    }
}
