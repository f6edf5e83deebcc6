//! A TLS connection's stream once its handshake is over: rustls' connection over the TCP
//! socket, read and written without tokio-rustls' adapters.
//!
//! The handshake is tokio-rustls' (`connect`, `accept`); [`TlsIo::new`] takes the connection it
//! leaves (`into_inner`: nothing is lost, rustls keeps what it has read and not yet handed on).
//! After it, a read hands on the plaintext rustls holds, else reads the socket until a record is
//! whole; a write encrypts and writes the record at once. rustls says how much plaintext it
//! holds (`IoState`), so no read asks it for bytes it does not have: tokio-rustls' `WouldBlock`
//! errors, made and inspected on every read of every call, were ~2,000 instructions a call.
//! An alert rustls must send on its own leaves with the next write or flush, the answer to a
//! key update with the next write (rustls queues it until then; the protocol asks no sooner).

use std::io;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{ConnectionCommon, SideData};

/// A TLS connection over `tcp`: `C` is rustls' `ClientConnection` or `ServerConnection`.
#[derive(Debug)]
pub(crate) struct TlsIo<C> {
    tcp: TcpStream,
    tls: C,
    /// Plaintext bytes rustls holds for the reader.
    plaintext: usize,
    /// The peer sent `close_notify`: once `plaintext` is read, the stream ends.
    closed: bool,
    /// The socket ended (without `close_notify` unless `closed`).
    eof: bool,
}

impl<C, S> TlsIo<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>> + Unpin,
    S: SideData,
{
    /// The stream of a connection whose handshake is over, as tokio-rustls' `into_inner` leaves
    /// it.
    pub(crate) fn new((tcp, mut tls): (TcpStream, C)) -> io::Result<Self> {
        let state = tls.process_new_packets().map_err(invalid)?;
        Ok(Self { tcp, plaintext: state.plaintext_bytes_to_read(), closed: state.peer_has_closed(), tls, eof: false })
    }

    /// rustls' connection (the peer's certificates, the protocol agreed).
    pub(crate) fn tls(&self) -> &C {
        &self.tls
    }

    /// Reads what the socket has into rustls and opens the records it completes; `Ready(Ok)`
    /// once something was read (or the socket ended).
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.tls.read_tls(&mut Reading { tcp: &mut self.tcp, cx }) {
            Ok(0) => self.eof = true,
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
            Err(error) => return Poll::Ready(Err(error)),
        }
        let state = match self.tls.process_new_packets() {
            Ok(state) => state,
            Err(error) => {
                // The alert describing it, if the socket takes it now.
                let _ = self.tls.write_tls(&mut Writing(&self.tcp));
                return Poll::Ready(Err(invalid(error)));
            }
        };
        self.plaintext = state.plaintext_bytes_to_read();
        self.closed = state.peer_has_closed();
        Poll::Ready(Ok(()))
    }

    /// Writes the records rustls has sealed to the socket, all of them.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut Writing(&self.tcp)) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => ready!(self.tcp.poll_write_ready(cx))?,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Seals what of `bufs` rustls takes (everything unless its buffer is full) and writes it.
    fn poll_seal(&mut self, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        // Records sealed earlier go first; until they are written nothing more is taken.
        ready!(self.poll_send(cx))?;
        let n = io::Write::write_vectored(&mut self.tls.writer(), bufs)?;
        // Taken either way: what the socket does not take now leaves at the next write or flush.
        if let Poll::Ready(Err(error)) = self.poll_send(cx) {
            return Poll::Ready(Err(error));
        }
        Poll::Ready(Ok(n))
    }
}

impl<C, S> AsyncRead for TlsIo<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>> + Unpin,
    S: SideData,
{
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.plaintext > 0 {
                // Only what is copied over is initialized (hyper's buffer is many times that).
                let room = buf.initialize_unfilled_to(buf.remaining().min(this.plaintext));
                let n = io::Read::read(&mut this.tls.reader(), room)?;
                this.plaintext -= n;
                buf.advance(n);
                return Poll::Ready(Ok(()));
            }
            if this.closed {
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the connection without a TLS close_notify",
                )));
            }
            ready!(this.poll_fill(cx))?;
        }
    }
}

impl<C, S> AsyncWrite for TlsIo<C>
where
    C: DerefMut + Deref<Target = ConnectionCommon<S>> + Unpin,
    S: SideData,
{
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_seal(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_seal(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // An error rustls met earlier is reported here too.
        io::Write::flush(&mut self.tls.writer())?;
        self.poll_send(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.tls.send_close_notify();
        ready!(self.poll_send(cx))?;
        match ready!(Pin::new(&mut self.tcp).poll_shutdown(cx)) {
            // The peer is gone already: shut down all the same.
            Err(error) if error.kind() == io::ErrorKind::NotConnected => Poll::Ready(Ok(())),
            result => Poll::Ready(result),
        }
    }
}

/// The socket as rustls reads it: `WouldBlock` when it would wait, the task woken once it
/// need not. (Through `poll_read`, which knows a short read emptied the socket: `try_read`
/// would ask the kernel once more per read, to be told `EAGAIN`.)
struct Reading<'a, 'b> {
    tcp: &'a mut TcpStream,
    cx: &'a mut Context<'b>,
}

impl io::Read for Reading<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut buf = ReadBuf::new(buf);
        match Pin::new(&mut *self.tcp).poll_read(self.cx, &mut buf) {
            Poll::Ready(Ok(())) => Ok(buf.filled().len()),
            Poll::Ready(Err(error)) => Err(error),
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// The socket as rustls writes it: without waiting (`WouldBlock` when it would).
struct Writing<'a>(&'a TcpStream);

impl io::Write for Writing<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn invalid(error: tokio_rustls::rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use tokio_rustls::rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
    use tokio_rustls::{TlsAcceptor, TlsConnector};

    use super::*;

    /// A client and a server stream over loopback, past their handshake.
    async fn pair() -> (TlsIo<ClientConnection>, TlsIo<ServerConnection>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap().self_signed(&key).unwrap();
        let der = CertificateDer::from(cert.der().to_vec());
        let mut roots = RootCertStore::empty();
        roots.add(der.clone()).unwrap();
        let provider = super::super::provider();
        let mut server = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![der], PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())))
            .unwrap();
        // As kuberpc's: no tickets (a socket closed with a ticket unread is reset, not ended).
        server.send_tls13_tickets = 0;
        let client = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            TlsIo::new(TlsAcceptor::from(Arc::new(server)).accept(tcp).await.unwrap().into_inner()).unwrap()
        });
        let tcp = TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let client = TlsIo::new(TlsConnector::from(Arc::new(client)).connect(name, tcp).await.unwrap().into_inner());
        (client.unwrap(), accepted.await.unwrap())
    }

    #[tokio::test]
    async fn megabytes_cross_both_ways_whole_and_in_order() {
        let (mut client, mut server) = pair().await;
        let sent: Vec<u8> = (0..3 << 20).map(|i: u32| (i % 251) as u8).collect();
        let echo = tokio::spawn(async move {
            let mut received = vec![0; 3 << 20];
            server.read_exact(&mut received).await.unwrap();
            for chunk in received.chunks(100_000) {
                server.write_all(chunk).await.unwrap();
            }
            server.flush().await.unwrap();
            server
        });
        // Written while the server is still reading: the socket fills, writes wait.
        for chunk in sent.chunks(70_000) {
            client.write_all(chunk).await.unwrap();
        }
        client.flush().await.unwrap();
        let mut back = vec![0; 3 << 20];
        client.read_exact(&mut back).await.unwrap();
        assert!(back == sent, "the echo differs");
        echo.await.unwrap();
    }

    #[tokio::test]
    async fn close_notify_ends_the_stream_and_a_cut_connection_is_an_error() {
        let (mut client, mut server) = pair().await;
        client.write_all(b"last words").await.unwrap();
        client.shutdown().await.unwrap();
        let mut all = Vec::new();
        server.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"last words");

        let (client, mut server) = pair().await;
        drop(client);
        let error = server.read(&mut [0; 16]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}");
    }
}
