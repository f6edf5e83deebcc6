//! Who still uses what changed: the services of the system (the `peers` a check is given,
//! their `calls`) that call a changed or removed method, or a method whose request or response
//! carries a changed message or enum (in a field, or a field of a field).

use std::collections::BTreeSet;

use prost_reflect::{DescriptorPool, Kind, MessageDescriptor};
use prost_types::{DescriptorProto, FileDescriptorSet};

use super::Finding;
use crate::error::Problem;
use crate::model::{Call, Package};

// Field numbers of descriptor.proto, for source_code_info paths.
const FILE_MESSAGE: i32 = 4;
const FILE_ENUM: i32 = 5;
const MESSAGE_NESTED: i32 = 3;
const MESSAGE_ENUM: i32 = 4;

/// The callers of the services of a check.
pub(super) struct Callers<'a> {
    /// The services as the reference declares them (their app names, which calls may name).
    services: &'a [Package],
    /// The system's other services.
    peers: &'a [Package],
    new: &'a FileDescriptorSet,
    /// The new protos' descriptors, when there are peers to name (none: nothing to look up).
    pool: Option<DescriptorPool>,
}

impl<'a> Callers<'a> {
    pub(super) fn new(services: &'a [Package], peers: &'a [Package], new: &'a FileDescriptorSet) -> Self {
        let pool = (!peers.is_empty()).then(|| DescriptorPool::from_file_descriptor_set(new.clone()).ok()).flatten();
        Callers { services, peers, new, pool }
    }

    /// `problem` (the place of `finding`) with the callers that still use what it changed.
    pub(super) fn name(&self, finding: &Finding, problem: Problem) -> Problem {
        let mut callers = BTreeSet::new();
        let mut through = Vec::new();
        if let Some(rpc) = &finding.rpc {
            callers.extend(self.of(rpc));
        } else {
            for rpc in self.carrying(finding) {
                let of = self.of(&rpc);
                if !of.is_empty() {
                    through.push(rpc.trim_start_matches('/').to_string());
                    callers.extend(of);
                }
            }
        }
        if callers.is_empty() {
            return problem;
        }
        let callers: Vec<String> = callers.into_iter().collect();
        let through = if through.is_empty() { String::new() } else { format!(" (through {})", through.join(", ")) };
        let message = format!("{} — still called by {}{through}", problem.message(), callers.join(", "));
        Problem::at(message, problem.span().cloned())
    }

    /// The app names of the peers whose `calls` name the method `rpc` (`/pkg.Service/Method`;
    /// `*`: any of the service's), by the service's full name or app name, for all its methods
    /// or this one.
    fn of(&self, rpc: &str) -> Vec<String> {
        let Some((service, method)) = rpc.trim_start_matches('/').split_once('/') else { return Vec::new() };
        let services = self.services.iter().flat_map(|p| &p.services);
        let app = services.clone().find(|s| s.full_name == service).map(|s| &s.deploy.app);
        let names_it = |call: &Call| {
            (call.service == service || Some(&call.service) == app)
                && (method == "*" || call.methods.is_empty() || call.methods.iter().any(|m| m == method))
        };
        let callers = self.peers.iter().flat_map(|p| &p.services).filter(|s| s.deploy.calls.iter().any(names_it));
        callers.map(|s| s.deploy.app.clone()).collect()
    }

    /// The methods (`/pkg.Service/Method`) whose request or response carries the message or
    /// enum a finding is in.
    fn carrying(&self, finding: &Finding) -> Vec<String> {
        let Some(pool) = &self.pool else { return Vec::new() };
        let file = self.new.file.iter().find(|f| Some(f.name()) == finding.file.as_deref());
        let Some(changed) = file.and_then(|f| type_at(f.package(), &f.message_type, &f.enum_type, &finding.path))
        else {
            return Vec::new();
        };
        let mut methods = Vec::new();
        for service in pool.services() {
            for method in service.methods() {
                let mut seen = BTreeSet::new();
                if carries(&method.input(), &changed, &mut seen) || carries(&method.output(), &changed, &mut seen) {
                    methods.push(format!("/{}/{}", service.full_name(), method.name()));
                }
            }
        }
        methods
    }
}

/// Whether `message`, or a message in one of its fields (at any depth), is or holds the type
/// `name`.
fn carries(message: &MessageDescriptor, name: &str, seen: &mut BTreeSet<String>) -> bool {
    if message.full_name() == name {
        return true;
    }
    if !seen.insert(message.full_name().to_string()) {
        return false;
    }
    message.fields().any(|field| match field.kind() {
        Kind::Message(inner) => carries(&inner, name, seen),
        Kind::Enum(e) => e.full_name() == name,
        _ => false,
    })
}

/// The full name of the innermost message or enum at a source path (`[4, i, 3, j, …]`) of a
/// file of `package`, whose top-level messages and enums are given.
fn type_at(
    package: &str,
    messages: &[DescriptorProto],
    enums: &[prost_types::EnumDescriptorProto],
    path: &[i32],
) -> Option<String> {
    let join = |name: &str| if package.is_empty() { name.to_string() } else { format!("{package}.{name}") };
    let index = |i: &i32| usize::try_from(*i).ok();
    match path {
        [FILE_ENUM, i, ..] => Some(join(enums.get(index(i)?)?.name())),
        [FILE_MESSAGE, i, rest @ ..] => {
            let mut message = messages.get(index(i)?)?;
            let mut name = join(message.name());
            let mut rest = rest;
            loop {
                match rest {
                    [MESSAGE_NESTED, j, more @ ..] => {
                        message = message.nested_type.get(index(j)?)?;
                        name = format!("{name}.{}", message.name());
                        rest = more;
                    }
                    [MESSAGE_ENUM, j, ..] => {
                        return Some(format!("{name}.{}", message.enum_type.get(index(j)?)?.name()))
                    }
                    _ => return Some(name),
                }
            }
        }
        _ => None,
    }
}
