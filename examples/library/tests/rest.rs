//! REST on googleapis' library example (127.0.0.1 only, every wait bounded): every binding of
//! library.proto called over HTTP/1.1 with the bodies, paths and queries a REST user writes,
//! the library's state checked after each call, errors as HTTP statuses with
//! `google.rpc.Status` bodies — and every answer's JSON equal to what Python's `json_format`
//! writes for the same message fetched over native gRPC on the same port.

mod common;

use common::twins::Twins;
use common::{bounded, rest, Running};
use http::{Method, StatusCode};
use library::pb::google::example::library::v1 as pb;
use pb::library_service_client::LibraryServiceClient;
use pb::library_service_server::LibraryServiceServer;
use serde_json::{json, Value};

const SHELF: &str = "google.example.library.v1.Shelf";
const BOOK: &str = "google.example.library.v1.Book";

/// A library server, a gRPC client of it, the REST calls made and the answers to compare.
struct Fixture {
    running: Running,
    grpc: LibraryServiceClient<tonic::transport::Channel>,
    called: Vec<(Method, String)>,
    twins: Twins,
}

impl Fixture {
    async fn new() -> Self {
        let running =
            common::serve(&pb::library_service_deploy::DEPLOY, LibraryServiceServer::new(library::Library::new()))
                .await;
        let grpc = LibraryServiceClient::new(running.channel().await);
        Fixture { running, grpc, called: Vec::new(), twins: Twins::default() }
    }

    async fn call(&mut self, method: Method, path: &str, body: &str) -> (StatusCode, Value) {
        self.called.push((method.clone(), path.to_string()));
        let (status, json, _) = rest(self.running.addr, method, path, body).await;
        (status, json)
    }

    /// A call that must answer 200.
    async fn ok(&mut self, method: Method, path: &str, body: &str) -> Value {
        let (status, json) = self.call(method.clone(), path, body).await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {json}");
        json
    }

    /// A call that must answer `status` with a `google.rpc.Status` of `code`; its message.
    async fn fails(&mut self, method: Method, path: &str, body: &str, status: StatusCode, code: i32) -> String {
        let (got, json) = self.call(method.clone(), path, body).await;
        assert_eq!(
            (got, &json["code"], &json["details"]),
            (status, &json!(code), &json!([])),
            "{method} {path}: {json}"
        );
        json["message"].as_str().unwrap().to_string()
    }

    /// `rest`, a shelf answered over REST, beside the shelf of that name fetched over gRPC.
    async fn twin_shelf(&mut self, what: &str, rest: &Value) {
        let name = rest["name"].as_str().unwrap().to_string();
        let shelf = bounded(self.grpc.get_shelf(pb::GetShelfRequest { name })).await.unwrap().into_inner();
        self.twins.add(what, SHELF, rest, &shelf);
    }

    async fn twin_book(&mut self, what: &str, rest: &Value) {
        let name = rest["name"].as_str().unwrap().to_string();
        let book = bounded(self.grpc.get_book(pb::GetBookRequest { name })).await.unwrap().into_inner();
        self.twins.add(what, BOOK, rest, &book);
    }

    /// Every binding of the service was called at least once.
    fn assert_every_binding_called(&self) {
        let rules = pb::library_service_deploy::DEPLOY.rest;
        assert_eq!(rules.len(), 11, "library.proto binds 11 methods");
        for rule in rules {
            let template = kuberpc::PathTemplate::parse(rule.template).unwrap();
            let called = self.called.iter().any(|(method, path)| {
                method.as_str() == rule.verb && template.matches(path.split('?').next().unwrap()).is_some()
            });
            assert!(called, "{} {} was not called", rule.verb, rule.template);
        }
    }
}

fn shelf(name: &str, theme: &str) -> Value {
    json!({ "name": name, "theme": theme })
}

fn book(name: &str, author: &str, title: &str, read: bool) -> Value {
    json!({ "name": name, "author": author, "title": title, "read": read })
}

#[tokio::test]
async fn every_binding_does_its_job_and_answers_what_json_format_writes() {
    let mut f = Fixture::new().await;
    shelves(&mut f).await;
    books(&mut f).await;
    update(&mut f).await;
    move_and_merge(&mut f).await;
    deletes(&mut f).await;
    f.assert_every_binding_called();
    f.twins.assert_equal().await;
}

/// CreateShelf (the body is the shelf; the name it carries is ignored), GetShelf, ListShelves
/// with page_size and the page token it answered (proto and JSON names in the query).
async fn shelves(f: &mut Fixture) {
    let created = f.ok(Method::POST, "/v1/shelves", r#"{"name": "shelves/99", "theme": "Fiction"}"#).await;
    assert_eq!(created, shelf("shelves/1", "Fiction"));
    f.twin_shelf("CreateShelf", &created).await;
    for theme in ["Poetry", "Doomed \"quotes\" ünïcode"] {
        f.ok(Method::POST, "/v1/shelves", &json!({ "theme": theme }).to_string()).await;
    }
    let got = f.ok(Method::GET, "/v1/shelves/1", "").await;
    assert_eq!(got, created);
    f.twin_shelf("GetShelf", &got).await;

    let first = f.ok(Method::GET, "/v1/shelves?page_size=2", "").await;
    let expected =
        json!({ "shelves": [shelf("shelves/1", "Fiction"), shelf("shelves/2", "Poetry")], "nextPageToken": "3" });
    assert_eq!(first, expected);
    let request = pb::ListShelvesRequest { page_size: 2, page_token: String::new() };
    let grpc = bounded(f.grpc.list_shelves(request)).await.unwrap().into_inner();
    f.twins.add("ListShelves (first page)", "google.example.library.v1.ListShelvesResponse", &first, &grpc);

    let last = f.ok(Method::GET, "/v1/shelves?pageSize=2&pageToken=3", "").await;
    let expected = json!({ "shelves": [shelf("shelves/3", "Doomed \"quotes\" ünïcode")], "nextPageToken": "" });
    assert_eq!(last, expected);
    let request = pb::ListShelvesRequest { page_size: 2, page_token: "3".into() };
    let grpc = bounded(f.grpc.list_shelves(request)).await.unwrap().into_inner();
    f.twins.add("ListShelves (last page)", "google.example.library.v1.ListShelvesResponse", &last, &grpc);
}

/// CreateBook (the body is the book, the parent from the path), GetBook, ListBooks paged.
async fn books(f: &mut Fixture) {
    let body = r#"{"author": "Ursula K. Le Guin", "title": "The Dispossessed", "read": true}"#;
    let created = f.ok(Method::POST, "/v1/shelves/1/books", body).await;
    assert_eq!(created, book("shelves/1/books/1", "Ursula K. Le Guin", "The Dispossessed", true));
    f.twin_book("CreateBook", &created).await;
    let second = f.ok(Method::POST, "/v1/shelves/1/books", r#"{"title": "Solaris", "author": "Lem"}"#).await;
    assert_eq!(second, book("shelves/1/books/2", "Lem", "Solaris", false));
    f.ok(Method::POST, "/v1/shelves/3/books", r#"{"title": "Merged away"}"#).await;

    let got = f.ok(Method::GET, "/v1/shelves/1/books/2", "").await;
    assert_eq!(got, second);
    f.twin_book("GetBook", &got).await;

    let page = f.ok(Method::GET, "/v1/shelves/1/books?page_size=1", "").await;
    assert_eq!(page, json!({ "books": [created], "nextPageToken": "2" }));
    let all = f.ok(Method::GET, "/v1/shelves/1/books", "").await;
    assert_eq!(all, json!({ "books": [created, second], "nextPageToken": "" }));
    let request = pb::ListBooksRequest { parent: "shelves/1".into(), page_size: 1, page_token: String::new() };
    let grpc = bounded(f.grpc.list_books(request)).await.unwrap().into_inner();
    f.twins.add("ListBooks", "google.example.library.v1.ListBooksResponse", &page, &grpc);
}

/// UpdateBook: the name from the path, the book from the body, `update_mask` from the query;
/// only the fields it names change.
async fn update(f: &mut Fixture) {
    let body = r#"{"title": "Solaris (1961)", "author": "not changed", "read": true}"#;
    let updated = f.ok(Method::PATCH, "/v1/shelves/1/books/2?update_mask=title,read", body).await;
    assert_eq!(updated, book("shelves/1/books/2", "Lem", "Solaris (1961)", true));
    f.twin_book("UpdateBook", &updated).await;
    let updated =
        f.ok(Method::PATCH, "/v1/shelves/1/books/2?updateMask=author", r#"{"author": "Stanisław Lem"}"#).await;
    assert_eq!(updated, book("shelves/1/books/2", "Stanisław Lem", "Solaris (1961)", true));
    assert_eq!(f.ok(Method::GET, "/v1/shelves/1/books/2", "").await, updated);
    let message =
        f.fails(Method::PATCH, "/v1/shelves/1/books/2?update_mask=name", "{}", StatusCode::BAD_REQUEST, 3).await;
    assert!(message.contains("\"name\""), "{message}");
}

/// MoveBook (the destination in the body) and MergeShelves (the other shelf in the body):
/// the moved book is gone from its shelf, the merged shelf is deleted, its books moved.
async fn move_and_merge(f: &mut Fixture) {
    let moved = f.ok(Method::POST, "/v1/shelves/1/books/2:move", r#"{"otherShelfName": "shelves/2"}"#).await;
    assert_eq!(moved, book("shelves/2/books/1", "Stanisław Lem", "Solaris (1961)", true));
    f.twin_book("MoveBook", &moved).await;
    f.fails(Method::GET, "/v1/shelves/1/books/2", "", StatusCode::NOT_FOUND, 5).await;
    let left = f.ok(Method::GET, "/v1/shelves/1/books", "").await;
    assert_eq!(left["books"].as_array().unwrap().len(), 1, "{left}");

    let merged = f.ok(Method::POST, "/v1/shelves/2:merge", r#"{"other_shelf": "shelves/3"}"#).await;
    assert_eq!(merged, shelf("shelves/2", "Poetry"));
    f.twin_shelf("MergeShelves", &merged).await;
    f.fails(Method::GET, "/v1/shelves/3", "", StatusCode::NOT_FOUND, 5).await;
    let books = f.ok(Method::GET, "/v1/shelves/2/books", "").await;
    let titles: Vec<&str> = books["books"].as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Solaris (1961)", "Merged away"]);
    let shelves = f.ok(Method::GET, "/v1/shelves", "").await;
    assert_eq!(shelves["shelves"].as_array().unwrap().len(), 2, "{shelves}");
}

/// DeleteBook and DeleteShelf answer `{}` (Empty) and the resources are gone: NOT_FOUND is 404
/// with a `google.rpc.Status` body.
async fn deletes(f: &mut Fixture) {
    let empty = f.ok(Method::DELETE, "/v1/shelves/2/books/1", "").await;
    assert_eq!(empty, json!({}));
    let message = f.fails(Method::GET, "/v1/shelves/2/books/1", "", StatusCode::NOT_FOUND, 5).await;
    assert_eq!(message, "shelves/2/books/1 does not exist");
    let request = pb::DeleteBookRequest { name: "shelves/2/books/2".into() };
    // Its answer, google.protobuf.Empty, is `()` in the stubs.
    let () = bounded(f.grpc.delete_book(request)).await.unwrap().into_inner();
    f.twins.add("DeleteBook", "google.protobuf.Empty", &empty, &());

    let empty = f.ok(Method::DELETE, "/v1/shelves/1", "").await;
    assert_eq!(empty, json!({}));
    let throwaway =
        pb::CreateShelfRequest { shelf: Some(pb::Shelf { name: String::new(), theme: "Throwaway".into() }) };
    let name = bounded(f.grpc.create_shelf(throwaway)).await.unwrap().into_inner().name;
    let () = bounded(f.grpc.delete_shelf(pb::DeleteShelfRequest { name })).await.unwrap().into_inner();
    f.twins.add("DeleteShelf", "google.protobuf.Empty", &empty, &());
    let message = f.fails(Method::GET, "/v1/shelves/1", "", StatusCode::NOT_FOUND, 5).await;
    assert_eq!(message, "shelves/1 does not exist");
    f.fails(Method::GET, "/v1/shelves/1/books", "", StatusCode::NOT_FOUND, 5).await;
    f.fails(Method::DELETE, "/v1/shelves/1", "", StatusCode::NOT_FOUND, 5).await;
    let shelves = f.ok(Method::GET, "/v1/shelves", "").await;
    assert_eq!(shelves, json!({ "shelves": [shelf("shelves/2", "Poetry")], "nextPageToken": "" }));
}

/// What a REST user gets wrong: a malformed name, a missing body, a negative page size, a
/// foreign page token, a field of the wrong type, an HTTP method the path is not bound for.
#[tokio::test]
async fn mistakes_are_http_statuses_with_google_rpc_status_bodies() {
    let mut f = Fixture::new().await;
    let message = f.fails(Method::GET, "/v1/shelves/01", "", StatusCode::BAD_REQUEST, 3).await;
    assert!(message.contains("shelves/<n>"), "{message}");
    let message = f.fails(Method::POST, "/v1/shelves", "", StatusCode::BAD_REQUEST, 3).await;
    assert_eq!(message, "shelf is required");
    f.fails(Method::GET, "/v1/shelves?page_size=-1", "", StatusCode::BAD_REQUEST, 3).await;
    f.fails(Method::GET, "/v1/shelves?page_token=abc", "", StatusCode::BAD_REQUEST, 3).await;
    f.fails(Method::POST, "/v1/shelves", r#"{"theme": 7}"#, StatusCode::BAD_REQUEST, 3).await;
    f.fails(Method::POST, "/v1/shelves/1/books", "{}", StatusCode::NOT_FOUND, 5).await;
    f.fails(Method::POST, "/v1/shelves/1:merge", r#"{"otherShelf": "shelves/2"}"#, StatusCode::NOT_FOUND, 5).await;
    let (status, json, _) = rest(f.running.addr, Method::PUT, "/v1/shelves", "{}").await;
    assert_eq!((status, &json["code"]), (StatusCode::METHOD_NOT_ALLOWED, &json!(12)), "{json}");
}
