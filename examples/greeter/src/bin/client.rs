//! Calls the greeter once: `client [http://host:port] [name]`
//! (default: `http://127.0.0.1:<PORT from the proto>`).

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let target = args.next().unwrap_or_else(|| format!("http://127.0.0.1:{}", greeter_deploy::PORT));
    let name = args.next().unwrap_or_else(|| "world".to_string());
    let mut client = GreeterClient::connect(target).await?;
    let mut request = tonic::Request::new(HelloRequest { name });
    request.set_timeout(std::time::Duration::from_millis(500));
    let reply = client.say_hello(request).await?;
    println!("{}", reply.into_inner().message);
    Ok(())
}
