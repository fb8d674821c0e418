//! The PII detector behind the sensitive information filters: patterns with checksums
//! where the format has one (Luhn for card numbers and Canadian SINs, mod 97 for IBANs,
//! the ABA routing checksum, the VIN check digit, NHS mod 11), and cue words for
//! entities that are only recognisable by what precedes them ("my PIN is 4821").

use std::net::Ipv6Addr;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::config::PiiType;

/// One detected entity: its type and byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    pub kind: PiiType,
    pub range: Range<usize>,
}

type Check = fn(&str, &str, &Range<usize>) -> bool;

struct Detector {
    kind: PiiType,
    re: Regex,
    /// The capture group holding the entity (0: the whole match).
    group: usize,
    check: Check,
}

fn any(_: &str, _: &str, _: &Range<usize>) -> bool {
    true
}

fn digits(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

fn luhn(ds: &[u32]) -> bool {
    let sum: u32 = ds
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn card(m: &str, _: &str, _: &Range<usize>) -> bool {
    let ds = digits(m);
    (13..=19).contains(&ds.len()) && luhn(&ds)
}

fn ssn(m: &str, _: &str, _: &Range<usize>) -> bool {
    let ds = digits(m);
    let seps: Vec<char> = m.chars().filter(|c| !c.is_ascii_digit()).collect();
    if ds.len() != 9 || (seps.len() == 2 && seps[0] != seps[1]) || seps.len() == 1 {
        return false;
    }
    let area = ds[0] * 100 + ds[1] * 10 + ds[2];
    let group = ds[3] * 10 + ds[4];
    let serial = ds[5..].iter().fold(0, |a, d| a * 10 + d);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

fn sin(m: &str, _: &str, _: &Range<usize>) -> bool {
    let ds = digits(m);
    ds.len() == 9 && luhn(&ds)
}

fn nhs(m: &str, _: &str, _: &Range<usize>) -> bool {
    let ds = digits(m);
    if ds.len() != 10 {
        return false;
    }
    let sum: u32 = ds[..9]
        .iter()
        .enumerate()
        .map(|(i, d)| d * (10 - i as u32))
        .sum();
    let check = (11 - sum % 11) % 11;
    check != 10 && check == ds[9]
}

fn iban(m: &str, _: &str, _: &Range<usize>) -> bool {
    let s: String = m.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&s.len()) {
        return false;
    }
    let rearranged = format!("{}{}", &s[4..], &s[..4]);
    let mut rem: u64 = 0;
    for c in rearranged.chars() {
        let v = match c {
            '0'..='9' => u64::from(c as u8 - b'0'),
            'A'..='Z' => u64::from(c as u8 - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn routing(m: &str, _: &str, _: &Range<usize>) -> bool {
    let d = digits(m);
    d.len() == 9
        && (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8])
            .is_multiple_of(10)
}

fn vin(m: &str, _: &str, _: &Range<usize>) -> bool {
    let value = |c: char| -> Option<u32> {
        Some(match c {
            '0'..='9' => c.to_digit(10)?,
            'A' | 'J' => 1,
            'B' | 'K' | 'S' => 2,
            'C' | 'L' | 'T' => 3,
            'D' | 'M' | 'U' => 4,
            'E' | 'N' | 'V' => 5,
            'F' | 'W' => 6,
            'G' | 'P' | 'X' => 7,
            'H' | 'Y' => 8,
            'R' | 'Z' => 9,
            _ => return None,
        })
    };
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let chars: Vec<char> = m.chars().collect();
    if chars.len() != 17
        || !chars.iter().any(char::is_ascii_digit)
        || !chars.iter().any(char::is_ascii_alphabetic)
    {
        return false;
    }
    let mut sum = 0;
    for (c, w) in chars.iter().zip(WEIGHTS) {
        match value(*c) {
            Some(v) => sum += v * w,
            None => return false,
        }
    }
    let check = match sum % 11 {
        10 => 'X',
        n => char::from_digit(n, 10).unwrap_or('?'),
    };
    chars[8] == check
}

fn ipv6(m: &str, _: &str, _: &Range<usize>) -> bool {
    m.matches(':').count() >= 2
        && m.chars().any(|c| c.is_ascii_alphanumeric())
        && m.parse::<Ipv6Addr>().is_ok()
}

fn has_digit(m: &str, _: &str, _: &Range<usize>) -> bool {
    m.chars().any(|c| c.is_ascii_digit())
}

/// A phone number is not part of a longer run of digits.
fn phone(m: &str, text: &str, r: &Range<usize>) -> bool {
    let n = digits(m).len();
    let before = text[..r.start]
        .chars()
        .rev()
        .find(|c| !matches!(c, ' ' | '-' | '.'));
    let after = text[r.end..]
        .chars()
        .find(|c| !matches!(c, ' ' | '-' | '.'));
    let glued = |c: Option<char>, adjacent: Option<char>| {
        c.is_some_and(|c| c.is_ascii_digit()) && adjacent.is_some_and(|a| a != ' ')
    };
    (7..=15).contains(&n)
        && !glued(before, text[..r.start].chars().next_back())
        && !glued(after, text[r.end..].chars().next())
}

/// A 40-character secret that does not continue into more base64 characters.
fn secret(m: &str, text: &str, r: &Range<usize>) -> bool {
    let base64 = |c: char| c.is_ascii_alphanumeric() || c == '/' || c == '+';
    m.chars().any(|c| c.is_ascii_uppercase())
        && m.chars().any(|c| c.is_ascii_lowercase())
        && !text[r.end..].chars().next().is_some_and(base64)
}

/// Capitalised words after a cue that are not names.
const NOT_NAMES: &[&str] = &[
    "Sorry", "Happy", "Glad", "Not", "Here", "Fine", "Good", "Going", "Trying", "Looking",
    "Working", "Using", "Amazon", "Bedrock", "Claude", "The", "A", "An", "In", "On", "At", "From",
];

fn name(m: &str, _: &str, _: &Range<usize>) -> bool {
    m.split([' ', '-'])
        .next()
        .is_some_and(|first| !NOT_NAMES.contains(&first))
}

fn detector(kind: PiiType, pattern: &str, group: usize, check: Check) -> Detector {
    Detector {
        kind,
        re: Regex::new(pattern).unwrap_or_else(|e| panic!("PII pattern for {kind:?}: {e}")),
        group,
        check,
    }
}

/// Detectors in priority order: where matches overlap, the earlier detector wins.
static DETECTORS: LazyLock<Vec<Detector>> = LazyLock::new(|| {
    use PiiType::*;
    const CUE_SEP: &str = r#"\s*(?:is|was|:|=|#|-)?\s*["']?"#;
    let cue = |words: &str, value: &str| format!(r"(?i)\b(?:{words}){CUE_SEP}({value})");
    vec![
        detector(
            AwsAccessKey,
            r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b",
            0,
            any,
        ),
        detector(
            AwsSecretKey,
            &cue(
                r"aws[_ ]?secret(?:[_ ]access)?[_ ]key|secret[_ ]access[_ ]key|secret[_ ]key",
                r"[A-Za-z0-9/+]{40}",
            ),
            1,
            secret,
        ),
        detector(
            Email,
            r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
            0,
            any,
        ),
        detector(
            Url,
            r#"(?i)\b(?:https?://|www\.)[^\s<>"'()\[\]]*[^\s<>"'()\[\].,;:!?]"#,
            0,
            any,
        ),
        detector(
            InternationalBankAccountNumber,
            r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
            0,
            iban,
        ),
        detector(CreditDebitCardNumber, r"\b\d(?:[ -]?\d){12,18}\b", 0, card),
        detector(
            UsIndividualTaxIdentificationNumber,
            r"\b9\d{2}[- ]?[78]\d[- ]?\d{4}\b",
            0,
            any,
        ),
        detector(
            UsSocialSecurityNumber,
            r"\b\d{3}[- ]\d{2}[- ]\d{4}\b",
            0,
            ssn,
        ),
        detector(
            UsSocialSecurityNumber,
            &cue(r"ssn|social security(?: number| no\.?)?", r"\d{9}\b"),
            1,
            ssn,
        ),
        detector(
            CaSocialInsuranceNumber,
            r"\b\d{3}[ -]\d{3}[ -]\d{3}\b",
            0,
            sin,
        ),
        detector(
            UkNationalInsuranceNumber,
            r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D]\b",
            0,
            any,
        ),
        detector(
            UkNationalHealthServiceNumber,
            &cue(r"nhs(?: number| no\.?)?", r"\d{3}[ -]?\d{3}[ -]?\d{4}\b"),
            1,
            nhs,
        ),
        detector(
            UkUniqueTaxpayerReferenceNumber,
            &cue(
                r"utr|unique taxpayer reference(?: number)?",
                r"\d{5} ?\d{5}\b",
            ),
            1,
            any,
        ),
        detector(
            CaHealthNumber,
            &cue(
                r"health (?:card|insurance|service)? ?(?:number|no\.?)|ohip(?: number)?",
                r"\d{4}[ -]?\d{3}[ -]?\d{3}\b",
            ),
            1,
            any,
        ),
        detector(
            UsBankRoutingNumber,
            &cue(r"routing(?: number| no\.?)?|aba(?: number)?", r"\d{9}\b"),
            1,
            routing,
        ),
        detector(
            UsBankAccountNumber,
            &cue(
                r"(?:bank |checking |savings )?account(?: number| no\.?)|acct(?: no\.?)?",
                r"\d{8,17}\b",
            ),
            1,
            any,
        ),
        detector(
            SwiftCode,
            &cue(
                r"swift(?: code)?|bic(?: code)?",
                r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?\b",
            ),
            1,
            any,
        ),
        detector(
            CreditDebitCardCvv,
            &cue(
                r"cvv2?|cvc2?|cid|card security code|security code",
                r"\d{3,4}\b",
            ),
            1,
            any,
        ),
        detector(
            CreditDebitCardExpiry,
            &cue(
                r"exp(?:iry|iration)?(?: date)?|expires(?: on)?|valid (?:thru|through|until)",
                r"(?:0[1-9]|1[0-2]) ?/ ?(?:\d{4}|\d{2})\b|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{4}\b",
            ),
            1,
            any,
        ),
        detector(Pin, &cue(r"pin(?: code| number)?", r"\d{4,6}\b"), 1, any),
        detector(
            UsPassportNumber,
            &cue(r"passport(?: number| no\.?)?", r"[A-Z0-9]{6,9}\b"),
            1,
            has_digit,
        ),
        detector(
            DriverId,
            &cue(
                r"driver'?s? licen[cs]e(?: number| no\.?)?|driving licen[cs]e(?: number| no\.?)?",
                r"[A-Z0-9][A-Z0-9-]{4,19}\b",
            ),
            1,
            has_digit,
        ),
        detector(
            LicensePlate,
            &cue(
                r"(?:license|licence|number|registration) plate(?: number| no\.?)?",
                r"[A-Z0-9]{1,4}[ -]?[A-Z0-9]{1,4}\b",
            ),
            1,
            has_digit,
        ),
        detector(
            Password,
            &cue(r"password|passwd|pwd|passcode|passphrase", r"[^\s,;]{4,64}"),
            1,
            any,
        ),
        detector(
            Username,
            &cue(
                r"user ?name|user ?id|login(?: name)?|screen name|handle",
                r"@?[A-Za-z0-9._-]{3,32}",
            ),
            1,
            any,
        ),
        detector(
            IpAddress,
            r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b",
            0,
            any,
        ),
        detector(
            IpAddress,
            r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}",
            0,
            ipv6,
        ),
        detector(
            MacAddress,
            r"\b(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}\b|\b(?:[0-9A-Fa-f]{2}-){5}[0-9A-Fa-f]{2}\b",
            0,
            any,
        ),
        detector(
            VehicleIdentificationNumber,
            r"\b[A-HJ-NPR-Z0-9]{17}\b",
            0,
            vin,
        ),
        detector(
            Phone,
            r"(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b",
            0,
            phone,
        ),
        detector(Phone, r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}\b", 0, phone),
        detector(
            Phone,
            &cue(
                r"phone(?: number)?|tel(?:ephone)?|mobile|cell(?: phone)?|fax|call me at|call",
                r"\d{10}\b",
            ),
            1,
            phone,
        ),
        detector(
            Age,
            r"(?i)\b(\d{1,3} ?(?:years?|yrs?))(?: |-)?old\b",
            1,
            any,
        ),
        detector(Age, &cue(r"age|aged", r"\d{1,3}\b"), 1, any),
        detector(
            Address,
            r"\b\d{1,6} (?:[A-Z][a-z]+\.? ){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|Parkway|Pkwy|Circle|Cir|Highway|Hwy)\b\.?(?:,? (?:Apt|Suite|Unit|#) ?\w+)?(?:, [A-Z][a-z]+(?: [A-Z][a-z]+)*)?(?:, [A-Z]{2,3}(?: \d{5}(?:-\d{4})?)?)?",
            0,
            any,
        ),
        detector(
            Name,
            r"\b(?:[Mm]y name is|[Mm]y name's|[Nn]ame:|I am|I'm|[Cc]all me|[Mm]r\.?|[Mm]rs\.?|[Mm]s\.?|[Mm]iss|[Dd]r\.?|[Pp]rof\.?|[Dd]ear|[Rr]egards,|[Ss]incerely,)\s+([A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2})\b",
            1,
            name,
        ),
    ]
});

/// The entities of the given types in `text`, in order, none overlapping.
pub(super) fn detect(text: &str, kinds: &[PiiType]) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    for d in DETECTORS.iter().filter(|d| kinds.contains(&d.kind)) {
        for caps in d.re.captures_iter(text) {
            let Some(m) = caps.get(d.group) else { continue };
            let range = m.range();
            if range.is_empty()
                || !(d.check)(m.as_str(), text, &range)
                || found
                    .iter()
                    .any(|f| f.range.start < range.end && range.start < f.range.end)
            {
                continue;
            }
            found.push(Found {
                kind: d.kind,
                range,
            });
        }
    }
    found.sort_by_key(|f| f.range.start);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use PiiType::*;

    fn all() -> Vec<PiiType> {
        vec![
            Address,
            Age,
            AwsAccessKey,
            AwsSecretKey,
            CaHealthNumber,
            CaSocialInsuranceNumber,
            CreditDebitCardCvv,
            CreditDebitCardExpiry,
            CreditDebitCardNumber,
            DriverId,
            Email,
            InternationalBankAccountNumber,
            IpAddress,
            LicensePlate,
            MacAddress,
            Name,
            Password,
            Phone,
            Pin,
            SwiftCode,
            UkNationalHealthServiceNumber,
            UkNationalInsuranceNumber,
            UkUniqueTaxpayerReferenceNumber,
            Url,
            Username,
            UsBankAccountNumber,
            UsBankRoutingNumber,
            UsIndividualTaxIdentificationNumber,
            UsPassportNumber,
            UsSocialSecurityNumber,
            VehicleIdentificationNumber,
        ]
    }

    fn found(text: &str) -> Vec<(PiiType, &str)> {
        detect(text, &all())
            .into_iter()
            .map(|f| (f.kind, &text[f.range]))
            .collect()
    }

    #[test]
    fn each_type_is_found() {
        let cases: &[(&str, PiiType, &str)] = &[
            (
                "write to jane.doe@example.com today",
                Email,
                "jane.doe@example.com",
            ),
            ("call 555-123-4567 now", Phone, "555-123-4567"),
            ("call (206) 555-0100", Phone, "(206) 555-0100"),
            ("reach me on +44 20 7946 0958", Phone, "+44 20 7946 0958"),
            ("my phone number is 2065550100", Phone, "2065550100"),
            (
                "card 4111 1111 1111 1111 ok",
                CreditDebitCardNumber,
                "4111 1111 1111 1111",
            ),
            (
                "card 4111-1111-1111-1111",
                CreditDebitCardNumber,
                "4111-1111-1111-1111",
            ),
            ("ssn 123-45-6789", UsSocialSecurityNumber, "123-45-6789"),
            ("my SSN is 123456789", UsSocialSecurityNumber, "123456789"),
            (
                "ITIN 912-78-1234",
                UsIndividualTaxIdentificationNumber,
                "912-78-1234",
            ),
            ("host 192.168.10.20 down", IpAddress, "192.168.10.20"),
            (
                "v6 2001:db8::8a2e:370:7334 up",
                IpAddress,
                "2001:db8::8a2e:370:7334",
            ),
            (
                "key AKIAIOSFODNN7EXAMPLE leaked",
                AwsAccessKey,
                "AKIAIOSFODNN7EXAMPLE",
            ),
            (
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                AwsSecretKey,
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            ("nic 00:1A:2B:3C:4D:5E", MacAddress, "00:1A:2B:3C:4D:5E"),
            (
                "see https://example.com/a?b=c.",
                Url,
                "https://example.com/a?b=c",
            ),
            (
                "IBAN GB82 WEST 1234 5698 7654 32",
                InternationalBankAccountNumber,
                "GB82 WEST 1234 5698 7654 32",
            ),
            ("SWIFT code DEUTDEFF500", SwiftCode, "DEUTDEFF500"),
            ("routing number 021000021", UsBankRoutingNumber, "021000021"),
            (
                "account number 1234567890",
                UsBankAccountNumber,
                "1234567890",
            ),
            ("my PIN is 4821", Pin, "4821"),
            ("CVV: 123", CreditDebitCardCvv, "123"),
            ("expiry 09/27", CreditDebitCardExpiry, "09/27"),
            ("passport number X1234567", UsPassportNumber, "X1234567"),
            ("driver's license D1234567", DriverId, "D1234567"),
            ("license plate 7ABC123", LicensePlate, "7ABC123"),
            ("password: hunter22!", Password, "hunter22!"),
            ("username: jdoe_42", Username, "jdoe_42"),
            ("SIN 046 454 286", CaSocialInsuranceNumber, "046 454 286"),
            (
                "NINO AB 12 34 56 C",
                UkNationalInsuranceNumber,
                "AB 12 34 56 C",
            ),
            (
                "NHS number 943 476 5919",
                UkNationalHealthServiceNumber,
                "943 476 5919",
            ),
            (
                "UTR 12345 67890",
                UkUniqueTaxpayerReferenceNumber,
                "12345 67890",
            ),
            ("OHIP 1234-567-890", CaHealthNumber, "1234-567-890"),
            (
                "VIN 1HGCM82633A004352",
                VehicleIdentificationNumber,
                "1HGCM82633A004352",
            ),
            ("I am 40 years old", Age, "40 years"),
            (
                "ship to 100 Main Street, Anytown",
                Address,
                "100 Main Street, Anytown",
            ),
            ("Hello, my name is Jane Doe.", Name, "Jane Doe"),
        ];
        let missed: Vec<String> = cases
            .iter()
            .filter(|(text, kind, expected)| !found(text).contains(&(*kind, *expected)))
            .map(|(text, kind, _)| format!("{kind:?} in {text:?}: {:?}", found(text)))
            .collect();
        assert!(missed.is_empty(), "{missed:#?}");
    }

    #[test]
    fn checksums_reject_lookalikes() {
        assert!(found("card 4111 1111 1111 1112").is_empty());
        assert!(found("ssn 000-12-3456 and 666-12-3456").is_empty());
        assert!(found("build 1.2.3 of 2024, 42 items").is_empty());
        assert!(found("How do I reverse a list in Python?").is_empty());
        assert!(found("I have 5 years of experience").is_empty());
    }

    #[test]
    fn only_the_asked_types_and_no_overlaps() {
        let t = "mail a@b.co or 555-123-4567";
        assert_eq!(detect(t, &[Phone]).len(), 1);
        let f = found("card 4111111111111111");
        assert_eq!(f, vec![(CreditDebitCardNumber, "4111111111111111")]);
    }
}
