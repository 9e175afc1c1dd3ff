//! IP address ranges in CIDR notation (`10.0.0.0/24`, `2001:db8::/32`), as EventBridge's `cidr`
//! operator and webhooks' `AllowedIPRange` take them.
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix_len: u8,
}

impl IpRange {
    /// `address/length`; None for anything else, or a length past the address's bits.
    pub fn parse(text: &str) -> Option<IpRange> {
        let (address, length) = text.trim().split_once('/')?;
        let (network, prefix_len) = (address.parse::<IpAddr>().ok()?, length.parse::<u8>().ok()?);
        let bits = if network.is_ipv4() { 32 } else { 128 };
        (prefix_len <= bits).then_some(IpRange { network, prefix_len })
    }

    /// Whether `ip` is in the range; an IPv4 address mapped into IPv6 (`::ffff:a.b.c.d`, as a
    /// dual-stack listener reports it) counts as the IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        let (ip, network, bits) = match (ip, self.network) {
            (IpAddr::V4(ip), IpAddr::V4(net)) => (u128::from(u32::from(ip)), u128::from(u32::from(net)), 32),
            (IpAddr::V6(ip), IpAddr::V6(net)) => (u128::from(ip), u128::from(net), 128),
            _ => return false,
        };
        let shift = bits - u32::from(self.prefix_len);
        shift >= bits || (ip >> shift) == (network >> shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_contain_what_they_cover() {
        let range = IpRange::parse("192.30.252.0/22").unwrap();
        assert!(range.contains("192.30.255.7".parse().unwrap()));
        assert!(!range.contains("192.30.248.1".parse().unwrap()));
        assert!(range.contains("::ffff:192.30.253.1".parse().unwrap()), "IPv4-mapped addresses count");
        assert!(IpRange::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        assert!(IpRange::parse("2001:db8::/32").unwrap().contains("2001:db8::1".parse().unwrap()));
        assert!(!IpRange::parse("2001:db8::/32").unwrap().contains("10.0.0.1".parse().unwrap()));
        for bad in ["10.0.0.0", "10.0.0.0/33", "x/8", "10.0.0.0/-1", "::/129"] {
            assert_eq!(IpRange::parse(bad), None, "{bad}");
        }
    }
}
