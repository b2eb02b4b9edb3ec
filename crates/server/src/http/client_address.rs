//! The address a request comes from, for rate limits and the audit log: the TCP peer,
//! or — when the peer is one of the court's own reverse proxies (`trusted_proxies`) —
//! the last address in `X-Forwarded-For` that is not one of them. Behind nginx every
//! request comes from nginx; without this, one litigant's failed codes would lock out
//! the whole court.

use crate::app::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

/// The client's address as far as the court's own proxies tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(peer)| peer.ip());
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok());
        Ok(Self(client_address(
            peer,
            forwarded,
            &state.config.trusted_proxies,
        )))
    }
}

/// Walks `X-Forwarded-For` from the nearest hop while the hop is a trusted proxy.
fn client_address<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded.flat_map(|value| value.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(address) => {
                client = address;
                if !trusted.contains(&address) {
                    break;
                }
            }
            // A hop that is not an address was not written by our proxy: stop there.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn only_the_courts_proxies_are_believed() {
        let nginx = ip("10.0.0.2");
        let trusted = [nginx];
        // Straight from the internet: the peer, whatever the header claims.
        assert_eq!(
            client_address(ip("203.0.113.7"), ["198.51.100.1"].into_iter(), &trusted),
            ip("203.0.113.7")
        );
        // Through nginx: the address nginx saw, not what the client wrote before it.
        assert_eq!(
            client_address(nginx, ["1.2.3.4, 198.51.100.9"].into_iter(), &trusted),
            ip("198.51.100.9")
        );
        // Two of our proxies in a row, over two header lines.
        assert_eq!(
            client_address(nginx, ["198.51.100.9", "10.0.0.2"].into_iter(), &trusted),
            ip("198.51.100.9")
        );
        // A proxy that sent no header: the proxy itself.
        assert_eq!(client_address(nginx, std::iter::empty(), &trusted), nginx);
        assert_eq!(
            client_address(nginx, ["garbage"].into_iter(), &trusted),
            nginx
        );
    }
}
