//! `check --against grpc://host:port`: the descriptors a running server serves through gRPC
//! reflection (v1, which kuberpc servers answer): its services' files and every file they
//! import, in dependency order, as the server encoded them (extension options kept where a
//! server serves them; kuberpc's own servers leave them out of what they embed).

use std::collections::BTreeMap;
use std::time::Duration;

use kuberpc_codegen::Problem;
use prost::Message as _;
use prost_types::FileDescriptorProto;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

/// How long the server has to answer each request.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most files a server may name: a bound against one that names imports without end.
const MAX_FILES: usize = 1_000;

/// The files the server at `address` (`host:port`) serves, its own services' and their
/// imports, as an encoded `FileDescriptorSet`.
pub(crate) fn descriptor_set(address: &str) -> Result<Vec<u8>, Problem> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Problem::new(format!("starting the reflection client: {e}")))?;
    runtime.block_on(fetch(address)).map_err(|e| Problem::new(format!("grpc://{address}: {e}")))
}

/// A file as decoded (for its name and imports) and as the server encoded it.
type Served = (FileDescriptorProto, Vec<u8>);

async fn fetch(address: &str) -> Result<Vec<u8>, String> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .map_err(|e| format!("not an address: {e}"))?
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        .connect()
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let mut client = ServerReflectionClient::new(channel);
    let services = match ask(&mut client, MessageRequest::ListServices(String::new())).await? {
        MessageResponse::ListServicesResponse(list) => list.service.into_iter().map(|s| s.name).collect::<Vec<_>>(),
        other => return Err(format!("listing services answered {other:?}")),
    };
    let mut files: BTreeMap<String, Served> = BTreeMap::new();
    for service in services.iter().filter(|s| !s.starts_with("grpc.")) {
        add(&mut files, ask(&mut client, MessageRequest::FileContainingSymbol(service.clone())).await?)?;
    }
    // Imports the answers named but did not include, each asked once; an answer without the
    // file asked for is an error, not a reason to ask again.
    while let Some(missing) = missing_import(&files) {
        if files.len() >= MAX_FILES {
            return Err(format!("more than {MAX_FILES} files named"));
        }
        add(&mut files, ask(&mut client, MessageRequest::FileByFilename(missing.clone())).await?)?;
        if !files.contains_key(&missing) {
            return Err(format!("asked for {missing}, answered without it"));
        }
    }
    let mut set = Vec::new();
    for (_, bytes) in dependency_order(files) {
        // A FileDescriptorSet is its files, each field 1.
        prost::encoding::bytes::encode(1, &bytes, &mut set);
    }
    Ok(set)
}

async fn ask(
    client: &mut ServerReflectionClient<tonic::transport::Channel>,
    request: MessageRequest,
) -> Result<MessageResponse, String> {
    let request = ServerReflectionRequest { host: String::new(), message_request: Some(request) };
    // The whole exchange, the stream's first message included, within TIMEOUT.
    let exchange = async {
        let mut answers = client
            .server_reflection_info(tokio_stream::once(request))
            .await
            .map_err(|s| format!("reflection: {}", s.message()))?
            .into_inner();
        let answer = answers.message().await.map_err(|s| format!("reflection: {}", s.message()))?;
        answer.and_then(|a| a.message_response).ok_or_else(|| "reflection: no answer".to_string())
    };
    tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| format!("reflection: no answer within {TIMEOUT:?}"))?
}

fn add(files: &mut BTreeMap<String, Served>, response: MessageResponse) -> Result<(), String> {
    let MessageResponse::FileDescriptorResponse(response) = response else {
        return Err(format!("reflection answered {response:?}"));
    };
    for bytes in response.file_descriptor_proto {
        let file =
            FileDescriptorProto::decode(bytes.as_slice()).map_err(|e| format!("a file that does not decode: {e}"))?;
        files.insert(file.name().to_string(), (file, bytes));
    }
    Ok(())
}

fn missing_import(files: &BTreeMap<String, Served>) -> Option<String> {
    files.values().flat_map(|(f, _)| &f.dependency).find(|name| !files.contains_key(*name)).cloned()
}

/// The files with each one's imports before it.
fn dependency_order(mut files: BTreeMap<String, Served>) -> Vec<Served> {
    let mut ordered = Vec::new();
    while let Some(name) =
        files.keys().find(|name| files[*name].0.dependency.iter().all(|d| !files.contains_key(d))).cloned()
    {
        ordered.extend(files.remove(&name));
    }
    ordered.extend(files.into_values());
    ordered
}
