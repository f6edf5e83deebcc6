//! `bank-client withdraw|audit <seconds>`: calls the vault as the teller does (its typed
//! target, over mutual TLS with the certificate mounted in this pod) for `seconds`
//! (`example_load`: prints `calls=N failed=F {failures by code} late_max=Lms` and exits
//! non-zero if any call failed). Which identity calls is the pod's certificate: the e2e runs it as the teller, as a
//! service nobody declared, and with another CA's certificate.

use bank::pb::vault_client::VaultClient;
use bank::pb::Payment;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let mut args = std::env::args().skip(1);
    let (method, seconds) = match (args.next(), args.next().and_then(|s| s.parse::<f64>().ok())) {
        (Some(method), Some(seconds)) if method == "withdraw" || method == "audit" => (method, seconds),
        _ => return Err("usage: bank-client withdraw|audit <seconds>".into()),
    };
    let vault = VaultClient::new(bank::vault().await?);
    example_load::run(seconds, move || {
        let (mut vault, withdraw) = (vault.clone(), method == "withdraw");
        async move {
            let payment = Payment { account: "e2e".to_string(), cents: 1 };
            if withdraw { vault.withdraw(payment).await } else { vault.audit(payment).await }.map(drop)
        }
    })
    .await;
    Ok(())
}
