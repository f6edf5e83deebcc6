//! The route guide stubs work for all four call kinds, over 127.0.0.1.

use std::pin::Pin;
use std::time::Duration;

use corpus::routeguide::route_guide_client::RouteGuideClient;
use corpus::routeguide::route_guide_server::{RouteGuide, RouteGuideServer};
use corpus::routeguide::{Feature, Point, Rectangle, RouteNote, RouteSummary};
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

type Replies<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

struct Guide;

#[tonic::async_trait]
impl RouteGuide for Guide {
    async fn get_feature(&self, request: Request<Point>) -> Result<Response<Feature>, Status> {
        let location = request.into_inner();
        Ok(Response::new(Feature {
            name: format!("{},{}", location.latitude, location.longitude),
            location: Some(location),
        }))
    }

    type ListFeaturesStream = Replies<Feature>;

    async fn list_features(&self, request: Request<Rectangle>) -> Result<Response<Self::ListFeaturesStream>, Status> {
        let corners = request.into_inner();
        let features = [corners.lo, corners.hi]
            .into_iter()
            .flatten()
            .map(|p| Ok(Feature { name: "corner".into(), location: Some(p) }));
        Ok(Response::new(Box::pin(tokio_stream::iter(features.collect::<Vec<_>>()))))
    }

    async fn record_route(&self, request: Request<Streaming<Point>>) -> Result<Response<RouteSummary>, Status> {
        let mut points = request.into_inner();
        let mut summary = RouteSummary::default();
        while let Some(point) = points.message().await? {
            summary.point_count += 1;
            summary.distance += point.latitude.abs();
        }
        Ok(Response::new(summary))
    }

    type RouteChatStream = Replies<RouteNote>;

    async fn route_chat(
        &self,
        request: Request<Streaming<RouteNote>>,
    ) -> Result<Response<Self::RouteChatStream>, Status> {
        let notes =
            request.into_inner().map(|note| note.map(|n| RouteNote { message: format!("echo: {}", n.message), ..n }));
        Ok(Response::new(Box::pin(notes)))
    }
}

fn point(latitude: i32) -> Point {
    Point { latitude, longitude: -latitude }
}

#[tokio::test]
async fn all_four_call_kinds() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(RouteGuideServer::new(Guide))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    tokio::time::timeout(Duration::from_secs(20), async {
        let mut client = RouteGuideClient::connect(format!("http://{address}")).await.unwrap();

        let feature = client.get_feature(point(7)).await.unwrap().into_inner();
        assert_eq!(feature.name, "7,-7");

        let rectangle = Rectangle { lo: Some(point(1)), hi: Some(point(2)) };
        let listed: Vec<Feature> =
            client.list_features(rectangle).await.unwrap().into_inner().map(Result::unwrap).collect().await;
        assert_eq!(listed.iter().map(|f| f.location.unwrap().latitude).collect::<Vec<_>>(), [1, 2]);

        let summary =
            client.record_route(tokio_stream::iter([point(1), point(-2), point(3)])).await.unwrap().into_inner();
        assert_eq!((summary.point_count, summary.distance), (3, 6));

        let notes = (0..3).map(|i| RouteNote { location: Some(point(i)), message: format!("note {i}") });
        let echoed: Vec<String> = client
            .route_chat(tokio_stream::iter(notes))
            .await
            .unwrap()
            .into_inner()
            .map(|n| n.unwrap().message)
            .collect()
            .await;
        assert_eq!(echoed, ["echo: note 0", "echo: note 1", "echo: note 2"]);
    })
    .await
    .expect("the calls finished in time");
    server.abort();
}
