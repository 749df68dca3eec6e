//! S3's XML: answers written element by element (escaped by quick-xml), and the request
//! bodies S3 takes (a delete list, a part list, tags, an object-lock configuration) read
//! with quick-xml's serde.

use serde::Deserialize;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// An XML answer being written.
pub struct Xml {
    out: String,
    root: &'static str,
}

impl Xml {
    /// `<root xmlns="…S3…">`.
    pub fn new(root: &'static str) -> Xml {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<{root} xmlns=\"{NS}\">"));
        Xml { out, root }
    }

    /// `<root>` without a namespace (S3's `<Error>`).
    pub fn plain(root: &'static str) -> Xml {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<{root}>"));
        Xml { out, root }
    }

    pub fn open(&mut self, tag: &str) -> &mut Xml {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Xml {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// Text directly in the current element.
    pub fn elem_text(&mut self, text: &str) -> &mut Xml {
        self.out.push_str(&quick_xml::escape::escape(text));
        self
    }

    pub fn elem(&mut self, tag: &str, text: &str) -> &mut Xml {
        self.open(tag);
        self.out.push_str(&quick_xml::escape::escape(text));
        self.close(tag)
    }

    pub fn finish(mut self) -> String {
        let root = self.root;
        self.close(root);
        self.out
    }
}

/// S3's time in XML: `2026-12-07T11:00:00.000Z`.
pub fn time(t: clouddigit_core::Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `<Delete>` of DeleteObjects.
#[derive(Debug, Deserialize)]
pub struct Delete {
    #[serde(rename = "Object", default)]
    pub objects: Vec<DeleteObject>,
    #[serde(rename = "Quiet", default)]
    pub quiet: bool,
}

#[derive(Debug, Deserialize)]
pub struct DeleteObject {
    #[serde(rename = "Key")]
    pub key: String,
}

/// `<CompleteMultipartUpload>`.
#[derive(Debug, Deserialize)]
pub struct CompleteMultipartUpload {
    #[serde(rename = "Part", default)]
    pub parts: Vec<CompletedPart>,
}

#[derive(Debug, Deserialize)]
pub struct CompletedPart {
    #[serde(rename = "PartNumber")]
    pub number: u32,
    #[serde(rename = "ETag")]
    pub etag: String,
}

/// `<Tagging>`.
#[derive(Debug, Deserialize)]
pub struct Tagging {
    #[serde(rename = "TagSet")]
    pub tag_set: TagSet,
}

#[derive(Debug, Deserialize, Default)]
pub struct TagSet {
    #[serde(rename = "Tag", default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

/// `<ObjectLockConfiguration>`: only whether it is on matters here.
#[derive(Debug, Deserialize)]
pub struct ObjectLockConfiguration {
    #[serde(rename = "ObjectLockEnabled", default)]
    pub enabled: Option<String>,
}

/// `<CreateBucketConfiguration>`.
#[derive(Debug, Deserialize)]
pub struct CreateBucketConfiguration {
    #[serde(rename = "LocationConstraint", default)]
    pub location: Option<String>,
}

/// Reads an XML body as `T`, or S3's `MalformedXML`.
pub fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, super::error::S3Error> {
    let text =
        std::str::from_utf8(body).map_err(|_| super::error::S3Error::malformed_xml("not UTF-8"))?;
    quick_xml::de::from_str(text).map_err(super::error::S3Error::malformed_xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_read_as_the_sdks_send_them() {
        let d: Delete = parse(br#"<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b &amp; c</Key></Object><Quiet>true</Quiet></Delete>"#).unwrap();
        assert_eq!(d.objects.len(), 2);
        assert_eq!(d.objects[1].key, "b & c");
        assert!(d.quiet);
        let c: CompleteMultipartUpload = parse(br#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"e1"</ETag><PartNumber>1</PartNumber><ChecksumCRC32>x</ChecksumCRC32></Part></CompleteMultipartUpload>"#).unwrap();
        assert_eq!((c.parts[0].number, c.parts[0].etag.as_str()), (1, "\"e1\""));
        let t: Tagging = parse(
            b"<Tagging><TagSet><Tag><Key>env</Key><Value>prod</Value></Tag></TagSet></Tagging>",
        )
        .unwrap();
        assert_eq!(t.tag_set.tags[0].value, "prod");
        let t: Tagging = parse(b"<Tagging><TagSet></TagSet></Tagging>").unwrap();
        assert!(t.tag_set.tags.is_empty());
        assert!(parse::<Delete>(b"<Delete><Object>").is_err());
        let mut x = Xml::new("R");
        x.elem("Key", "a<b>&\"c\"");
        assert!(x
            .finish()
            .contains("<Key>a&lt;b&gt;&amp;&quot;c&quot;</Key>"));
    }
}
