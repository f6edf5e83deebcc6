//! The echo server and the comparisons of its JSON with Python's `json_format`: each returns
//! every difference found, one line each.

use http::{Method, StatusCode};
use library::pb::wkt::v1::echo_client::EchoClient;
use library::pb::wkt::v1::echo_server::EchoServer;
use library::pb::wkt::v1::{echo_deploy, Everything};
use prost::Message;
use serde_json::Value;

use super::python::{self, Sample};
use super::{bounded, differences, rest, Running};

/// The message every sample is.
pub const EVERYTHING: &str = "wkt.v1.Everything";

/// An echo server on 127.0.0.1.
pub async fn serve() -> Running {
    super::serve(&echo_deploy::DEPLOY, EchoServer::new(library::EchoService)).await
}

/// Fails listing every difference found, if any.
pub fn assert_none(what: &str, differences: &[String]) {
    assert!(differences.is_empty(), "{what}: kuberpc's JSON differs from json_format's:\n{}", differences.join("\n"));
}

/// `text`, JSON, as a value.
pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Python's JSON of each sample, posted with the fields without presence written (`json`) and
/// without (`sparse`): where the answer is not Python's JSON of the message.
pub async fn posted(running: &Running, samples: &[Sample]) -> Vec<String> {
    let mut found = Vec::new();
    for sample in samples {
        for (form, body) in [("json", &sample.json), ("sparse", &sample.sparse)] {
            let (status, answer, _) = rest(running.addr, Method::POST, "/v1/echo", body).await;
            let what = format!("{} ({form})", sample.name);
            match status {
                StatusCode::OK => found.extend(named(&what, differences(&answer, &json(&sample.json)))),
                status => found.push(format!("{what}: {status} {answer}")),
            }
        }
    }
    found
}

/// Where the REST answer to Python's JSON of each sample is not Python's JSON of the answer
/// over native gRPC to Python's encoding of it.
pub async fn via_grpc(running: &Running, samples: &[Sample]) -> Vec<String> {
    let mut grpc = EchoClient::new(running.channel().await);
    let mut answers = Vec::new();
    for sample in samples {
        let request = Everything::decode(python::unhex(&sample.hex).as_slice()).unwrap();
        let answer = bounded(grpc.echo(request)).await.unwrap().into_inner();
        answers.push((EVERYTHING, answer.encode_to_vec()));
    }
    let expected = python::to_json(&answers).await;
    let mut found = Vec::new();
    for ((sample, expected), answer) in samples.iter().zip(&expected).zip(answered(running, samples).await) {
        match answer {
            Ok(text) => found.extend(named(&sample.name, differences(&json(&text), expected))),
            Err(refused) => found.push(format!("{}: {refused}", sample.name)),
        }
    }
    found
}

/// The REST answer to Python's JSON of each sample: its text, or (`Err`) its status and text
/// when it is not 200.
async fn answered(running: &Running, samples: &[Sample]) -> Vec<Result<String, String>> {
    let mut answers = Vec::new();
    for sample in samples {
        let (status, _, text) = rest(running.addr, Method::POST, "/v1/echo", &sample.json).await;
        answers.push(if status == StatusCode::OK { Ok(text) } else { Err(format!("{status} {text}")) });
    }
    answers
}

/// The answers that are not refusals, as messages for json_format to read.
fn answered_texts(answers: &[Result<String, String>]) -> Vec<(&str, &str)> {
    answers.iter().filter_map(|a| a.as_ref().ok()).map(|text| (EVERYTHING, text.as_str())).collect()
}

/// Where `json_format.Parse` does not read the REST answer to each sample back into the
/// message Python sent.
pub async fn reread(running: &Running, samples: &[Sample]) -> Vec<String> {
    let answers = answered(running, samples).await;
    let mut reread = python::reparse(&answered_texts(&answers)).await.into_iter();
    let mut found = Vec::new();
    for (sample, answer) in samples.iter().zip(&answers) {
        match answer {
            Ok(text) => {
                let what = format!("{} (kuberpc wrote {})", sample.name, shortened(text));
                found.extend(named(&what, differences(&reread.next().unwrap(), &json(&sample.json))));
            }
            Err(refused) => found.push(format!("{}: {refused}", sample.name)),
        }
    }
    found
}

/// Where the REST answer to each sample, parsed by `json_format.Parse`, is not the message
/// Python sent, encoding for encoding: exact to the bit (unlike JSON values, whose numbers
/// serde_json reads only approximately).
pub async fn exact(running: &Running, samples: &[Sample]) -> Vec<String> {
    let answers = answered(running, samples).await;
    let mut parsed = python::to_binary(&answered_texts(&answers)).await.into_iter();
    let mut found = Vec::new();
    for (sample, answer) in samples.iter().zip(&answers) {
        let Ok(text) = answer else {
            found.push(format!("{}: {}", sample.name, answer.as_ref().unwrap_err()));
            continue;
        };
        match parsed.next().unwrap() {
            Ok(hex) if hex == sample.hex => {}
            Ok(hex) => found.push(format!("{}: {}", sample.name, unlike(&sample.hex, &hex, text).await)),
            Err(error) => found.push(format!("{}: {error}", sample.name)),
        }
    }
    found
}

/// How the message Python sent (`sent`, hex) and the one it read from kuberpc's answer
/// (`got`, hex; the answer's `text`) differ: their JSON, and how many of the numbers of
/// `ratios` and `singles` changed (read exactly, as f64 and f32).
async fn unlike(sent: &str, got: &str, text: &str) -> String {
    let (sent, got) = (python::unhex(sent), python::unhex(got));
    let json = python::to_json(&[(EVERYTHING, got.clone()), (EVERYTHING, sent.clone())]).await;
    let mut found = differences(&json[0], &json[1]);
    found.truncate(3);
    let (sent, got) = (Everything::decode(sent.as_slice()).unwrap(), Everything::decode(got.as_slice()).unwrap());
    let bits = |a: &[f64], b: &[f64]| changed(a.iter().map(|v| v.to_bits()), b.iter().map(|v| v.to_bits()));
    found.push(format!("ratios: {} of {} changed", bits(&sent.ratios, &got.ratios), sent.ratios.len()));
    let bits = |a: &[f32], b: &[f32]| changed(a.iter().map(|v| v.to_bits()), b.iter().map(|v| v.to_bits()));
    found.push(format!("singles: {} of {} changed", bits(&sent.singles, &got.singles), sent.singles.len()));
    found.push(format!("kuberpc wrote {}", shortened(text)));
    found.join("; ")
}

/// `text`'s first 200 characters.
fn shortened(text: &str) -> String {
    let mut shortened: String = text.chars().take(200).collect();
    if shortened.len() < text.len() {
        shortened.push('…');
    }
    shortened
}

fn changed<T: PartialEq>(a: impl Iterator<Item = T>, b: impl Iterator<Item = T>) -> usize {
    a.zip(b).filter(|(a, b)| a != b).count()
}

/// `differences` of `what`, each named, at most [`SHOWN`] of them.
pub fn named(what: &str, differences: Vec<String>) -> Vec<String> {
    let more = differences.len().saturating_sub(SHOWN);
    let mut named: Vec<String> = differences.into_iter().take(SHOWN).map(|d| format!("{what}: {d}")).collect();
    if more > 0 {
        named.push(format!("{what}: … and {more} more"));
    }
    named
}

/// The differences shown of one message.
const SHOWN: usize = 5;

/// Each of `bodies` posted: where kuberpc does not read it as `json_format.Parse` does (the
/// same message, or refused when json_format refuses it).
pub async fn read_as_json_format_reads(running: &Running, bodies: &[&str]) -> Vec<String> {
    let messages: Vec<(&str, &str)> = bodies.iter().map(|body| (EVERYTHING, *body)).collect();
    let expected = python::reparse(&messages).await;
    let mut found = Vec::new();
    for (body, expected) in bodies.iter().zip(&expected) {
        let (status, answer, _) = rest(running.addr, Method::POST, "/v1/echo", body).await;
        let refused = expected.get("json_format.ParseError").is_some();
        match (status, refused) {
            (StatusCode::OK, false) => found.extend(named(body, differences(&answer, expected))),
            (StatusCode::BAD_REQUEST, true) => {}
            (status, _) => found.push(format!("{body}: kuberpc {status} {answer}, json_format {expected}")),
        }
    }
    found
}
