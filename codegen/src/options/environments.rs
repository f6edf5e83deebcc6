//! `environments`: each written environment resolved against the service's own values (a
//! field left out keeps the base value), or the built-in `dev` and `prod` when none is
//! written. Mistakes point at the element that has them (`environments[1].name`).

use std::collections::BTreeSet;

use super::{AutoscaleOptions, EnvironmentOptions, FieldRules, ResourceOptions};
use crate::model::{Autoscale, Deploy, Environment, Resources, Workload};
use crate::schema::{path, OptionPath};

/// The environments of `deploy` (whose base values are resolved already).
pub(super) fn resolve_environments(
    written: &[EnvironmentOptions],
    deploy: &Deploy,
    rules: &mut FieldRules<'_>,
) -> Vec<Environment> {
    if written.is_empty() {
        return built_in(deploy);
    }
    let mut names = BTreeSet::new();
    let mut environments = Vec::new();
    for (index, options) in written.iter().enumerate() {
        let mut rules = rules.element(path::ENVIRONMENTS, index);
        let environment = resolve_one(options, deploy, &mut rules);
        if !names.insert(environment.name.clone()) {
            let message = format!("environment {:?} is declared twice", environment.name);
            rules.fail(path::ENVIRONMENTS_NAME, message);
        }
        environments.push(environment);
    }
    environments
}

/// `dev`: one pod, the base resources. `prod`: at least three pods where the storage allows
/// it (an autoscaler from at least three, up to the base's maximum), doubled resources.
fn built_in(deploy: &Deploy) -> Vec<Environment> {
    let dev = Environment {
        name: "dev".into(),
        namespace: "dev".into(),
        replicas: 1,
        autoscale: deploy.autoscale.as_ref().map(|a| Autoscale { min: 1, max: 1, ..a.clone() }),
        resources: deploy.resources.clone(),
        ingress_host: None,
        web_origins: None,
    };
    let prod = Environment {
        name: "prod".into(),
        namespace: "prod".into(),
        replicas: if deploy.can_scale_out() { deploy.replicas.max(3) } else { deploy.replicas },
        autoscale: deploy.autoscale.as_ref().map(|a| Autoscale { min: a.min.max(3).min(a.max), ..a.clone() }),
        resources: doubled(&deploy.resources),
        ingress_host: None,
        web_origins: None,
    };
    vec![dev, prod]
}

fn resolve_one(options: &EnvironmentOptions, deploy: &Deploy, rules: &mut FieldRules<'_>) -> Environment {
    let name = rules.required(path::ENVIRONMENTS_NAME, &options.name, String::new());
    if options.name.is_some() {
        rules.dns_label(path::ENVIRONMENTS_NAME, &name);
    }
    let namespace = options.namespace.clone().unwrap_or_else(|| name.clone());
    let namespace_field =
        if options.namespace.is_some() { path::ENVIRONMENTS_NAMESPACE } else { path::ENVIRONMENTS_NAME };
    if options.namespace.is_some() {
        rules.dns_label(path::ENVIRONMENTS_NAMESPACE, &namespace);
    }
    if let Some(problem) = super::values::namespace_problem(&deploy.app, &namespace) {
        rules.fail(namespace_field, format!("environment {name:?}: {problem}"));
    }
    if let Some(host) = options.ingress_host.as_deref() {
        if let Some(problem) = super::values::host_problem(host) {
            rules.fail(path::ENVIRONMENTS_INGRESS_HOST, format!("environments.ingress_host {host:?} {problem}"));
        }
    }
    let replicas = options.replicas.unwrap_or(deploy.replicas);
    rules.int32(path::ENVIRONMENTS_REPLICAS, replicas);
    if options.replicas.is_some() && deploy.autoscale.is_some() {
        let message = "environments.replicas has no effect: the service autoscales, so set environments.autoscale";
        rules.fail(path::ENVIRONMENTS_REPLICAS, message.into());
    } else if replicas == 0 {
        rules.fail(path::ENVIRONMENTS_REPLICAS, "environments.replicas must be at least 1".into());
    }
    let autoscale = resolve_autoscale(options.autoscale.as_ref(), deploy.autoscale.as_ref(), rules);
    let most = autoscale.as_ref().map_or(replicas, |a| a.max);
    if deploy.workload == Workload::Deployment && !deploy.can_scale_out() && most > 1 {
        let message = format!("environment {name:?} runs up to {most} pods, but single-writer storage mounts on one");
        rules.fail(path::ENVIRONMENTS_NAME, message);
    }
    let web_origins = (!options.web_origins.is_empty()).then(|| {
        if deploy.web.is_none() {
            let message = "environments.web_origins needs `web` on the service (gRPC-Web is served by the base)";
            rules.fail(path::ENVIRONMENTS_WEB_ORIGINS, message.into());
        }
        super::resolve_origins(path::ENVIRONMENTS_WEB_ORIGINS, &options.web_origins, rules)
    });
    if options.ingress_host.is_some() && deploy.ingress.is_none() {
        let message = "environments.ingress_host needs `ingress` on the service (the Ingress is in the base)";
        rules.fail(path::ENVIRONMENTS_INGRESS_HOST, message.into());
    }
    Environment {
        resources: resolve_resources(options.resources.as_ref(), &deploy.resources, rules),
        ingress_host: options.ingress_host.clone(),
        web_origins,
        name,
        namespace,
        replicas,
        autoscale,
    }
}

fn resolve_autoscale(
    written: Option<&AutoscaleOptions>,
    base: Option<&Autoscale>,
    rules: &mut FieldRules<'_>,
) -> Option<Autoscale> {
    let (written, base) = match (written, base) {
        (Some(_), None) => {
            let message = "environments.autoscale needs `autoscale` on the service (the autoscaler is in the base)";
            rules.fail(path::ENVIRONMENTS_AUTOSCALE, message.into());
            return None;
        }
        (written, base) => (written.cloned().unwrap_or_default(), base?),
    };
    let autoscale = Autoscale {
        min: written.min.unwrap_or(base.min),
        max: written.max.unwrap_or(base.max),
        cpu_percent: written.cpu_percent.or(base.cpu_percent),
        memory_percent: written.memory_percent.or(base.memory_percent),
    };
    rules.at_least_one(path::ENVIRONMENTS_AUTOSCALE_MIN, Some(u64::from(autoscale.min)));
    rules.int32(path::ENVIRONMENTS_AUTOSCALE_MIN, autoscale.min);
    rules.int32(path::ENVIRONMENTS_AUTOSCALE_MAX, autoscale.max);
    if autoscale.max < autoscale.min {
        let message = format!("environments.autoscale.max {} is below its min {}", autoscale.max, autoscale.min);
        rules.fail(path::ENVIRONMENTS_AUTOSCALE_MAX, message);
    }
    rules.at_least_one(path::ENVIRONMENTS_AUTOSCALE_CPU_PERCENT, written.cpu_percent.map(u64::from));
    rules.at_least_one(path::ENVIRONMENTS_AUTOSCALE_MEMORY_PERCENT, written.memory_percent.map(u64::from));
    Some(autoscale)
}

/// A request written here also moves its limit, unless a limit is written too.
fn resolve_resources(written: Option<&ResourceOptions>, base: &Resources, rules: &mut FieldRules<'_>) -> Resources {
    let written = written.cloned().unwrap_or_default();
    let mut quantity = |field: OptionPath, value: Option<String>| value.map(|value| rules.quantity(field, value));
    let cpu = quantity(path::ENVIRONMENTS_RESOURCES_CPU, written.cpu);
    let memory = quantity(path::ENVIRONMENTS_RESOURCES_MEMORY, written.memory);
    let cpu_limit = quantity(path::ENVIRONMENTS_RESOURCES_CPU_LIMIT, written.cpu_limit);
    let memory_limit = quantity(path::ENVIRONMENTS_RESOURCES_MEMORY_LIMIT, written.memory_limit);
    Resources {
        cpu_limit: cpu_limit.or_else(|| cpu.clone()).unwrap_or_else(|| base.cpu_limit.clone()),
        memory_limit: memory_limit.or_else(|| memory.clone()).unwrap_or_else(|| base.memory_limit.clone()),
        cpu: cpu.unwrap_or_else(|| base.cpu.clone()),
        memory: memory.unwrap_or_else(|| base.memory.clone()),
    }
}

impl FieldRules<'_> {
    /// A DNS-1123 label; the empty string is none (it would name no directory at all).
    fn dns_label(&mut self, field: OptionPath, value: &str) {
        if !super::is_dns_label(value) {
            let message = format!("{field} {value:?} is not a DNS-1123 label (lower case letters, digits, '-')");
            self.fail(field, message);
        }
    }
}

fn doubled(resources: &Resources) -> Resources {
    Resources {
        cpu: double_quantity(&resources.cpu),
        memory: double_quantity(&resources.memory),
        cpu_limit: double_quantity(&resources.cpu_limit),
        memory_limit: double_quantity(&resources.memory_limit),
    }
}

/// `"250m"` → `"500m"`, `"0.5"` → `"1"`, `"1e3"` → `"2e3"`; the suffix is kept.
fn double_quantity(quantity: &str) -> String {
    let end = quantity.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(quantity.len());
    let (number, suffix) = quantity.split_at(end);
    match number.parse::<f64>() {
        Ok(value) => format!("{}{suffix}", value * 2.0),
        Err(_) => quantity.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_double() {
        assert_eq!(double_quantity("250m"), "500m");
        assert_eq!(double_quantity("0.5"), "1");
        assert_eq!(double_quantity("256Mi"), "512Mi");
    }
}
