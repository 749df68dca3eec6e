//! How the sandbox's listeners take connections.

/// Answers leave as soon as they are written: with Nagle's algorithm on, a response's
/// body waited for the client's delayed ACK of its headers (about 40 ms on Linux), which
/// capped a client's small GetObjects at 25 a second.
pub fn nodelay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn set(tcp: &mut tokio::net::TcpStream) {
        let _ = tcp.set_nodelay(true);
    }
    listener.tap_io(set as fn(&mut tokio::net::TcpStream))
}
