//! `application/x-www-form-urlencoded` bodies, as Stripe's API takes them:
//! nested parameters are bracketed keys (`line_items[0][price]`), written
//! with their brackets as Stripe's own libraries send them; everything else
//! is percent-encoded by the `form_urlencoded` crate (through `url`), spaces
//! as `+`. Values are sent exactly as given: a redirect URL's
//! `{CHECKOUT_SESSION_ID}` placeholder reaches Stripe unchanged once decoded.

/// `k=v&k=v`, in the order given.
pub fn encode(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", key(k), value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn value(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// A key, percent-encoded but for its brackets.
fn key(k: &str) -> String {
    value(k).replace("%5B", "[").replace("%5D", "]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The decoder every server applies (the same crate, the other way).
    fn decode(body: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn nested_keys_keep_their_brackets_and_plain_values_stay_plain() {
        assert_eq!(
            encode(&params(&[
                ("mode", "subscription"),
                ("line_items[0][price]", "price_1Nq-x"),
                ("line_items[0][quantity]", "1"),
                ("subscription_data[metadata][team_id]", "0123abcd"),
            ])),
            "mode=subscription&line_items[0][price]=price_1Nq-x&line_items[0][quantity]=1\
             &subscription_data[metadata][team_id]=0123abcd"
        );
        assert_eq!(encode(&[]), "");
    }

    #[test]
    fn urls_are_percent_encoded_and_decode_to_themselves() {
        let url = "https://app.example.com/billing/done?session={CHECKOUT_SESSION_ID}&a=b c#frag";
        let body = encode(&params(&[("success_url", url)]));
        assert_eq!(
            body,
            "success_url=https%3A%2F%2Fapp.example.com%2Fbilling%2Fdone%3Fsession%3D\
             %7BCHECKOUT_SESSION_ID%7D%26a%3Db+c%23frag"
        );
        assert_eq!(decode(&body), params(&[("success_url", url)]));
    }

    #[test]
    fn separators_and_non_ascii_in_values_cannot_forge_a_parameter() {
        let sneaky = "x&customer=cus_evil=1+é[0]";
        let body = encode(&params(&[("client_reference_id", sneaky), ("k[a b]", "v")]));
        assert_eq!(
            body,
            "client_reference_id=x%26customer%3Dcus_evil%3D1%2B%C3%A9%5B0%5D&k[a+b]=v"
        );
        assert_eq!(
            decode(&body),
            params(&[("client_reference_id", sneaky), ("k[a b]", "v")])
        );
    }
}
