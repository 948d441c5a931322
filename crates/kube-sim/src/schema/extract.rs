//! Reads the shape of a Kubernetes type out of its k8s-openapi `Deserialize` impl: a
//! deserializer that answers every request with a harmless value and writes down what was
//! asked. Structs name their fields (`deserialize_struct`), options, lists and maps show as
//! such, everything else is a leaf. k8s-openapi is generated from the apiserver's own OpenAPI
//! document, so the field lists are the real ones.

use std::cell::RefCell;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor};

/// The shape of a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// The Go struct's name (`DeploymentSpec`: it names the field in decoding errors) and its
    /// fields.
    Struct(&'static str, Vec<(&'static str, Node)>),
    Map(Box<Node>),
    Seq(Box<Node>),
    Leaf(Leaf),
}

/// The kinds of scalar the OpenAPI documents distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    String,
    DateTime,
    Bytes,
    Int32,
    Int64,
    Number,
    Boolean,
    IntOrString,
    /// `Quantity`: a string in the documents, though numbers are accepted.
    Quantity,
    /// `RawExtension` and other embedded JSON.
    Object,
}

type Slot = Rc<RefCell<Option<Node>>>;
type Error = de::value::Error;

/// Recursive types (none among the served kinds, but cheap insurance) stop here.
const MAX_DEPTH: usize = 48;

struct Ex {
    slot: Slot,
    depth: usize,
    /// Inside `Time` / `MicroTime`: strings must parse as timestamps.
    time: bool,
    /// The newtype being read (`Quantity`, `RawExtension`), which names what `any` is.
    newtype: Option<&'static str>,
    /// The value a top-level `apiVersion` / `kind` must have (the visitors check them).
    fixed: Option<&'static str>,
    top: Option<(&'static str, &'static str)>,
}

impl Ex {
    fn child(&self, slot: Slot) -> Ex {
        Ex { slot, depth: self.depth + 1, time: false, newtype: None, fixed: None, top: None }
    }
    fn put(&self, n: Node) {
        *self.slot.borrow_mut() = Some(n);
    }
}

fn taken(s: &Slot) -> Node {
    s.borrow_mut().take().unwrap_or(Node::Leaf(Leaf::Object))
}

macro_rules! leaf {
    ($($m:ident => $leaf:ident, $visit:ident($($val:expr)?)),* $(,)?) => {
        $(fn $m<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            self.put(Node::Leaf(Leaf::$leaf));
            v.$visit($($val)?)
        })*
    };
}

impl<'de> Deserializer<'de> for Ex {
    type Error = Error;

    leaf! {
        deserialize_bool => Boolean, visit_bool(false),
        deserialize_i8 => Int32, visit_i64(0), deserialize_i16 => Int32, visit_i64(0), deserialize_i32 => Int32, visit_i64(0),
        deserialize_i64 => Int64, visit_i64(0),
        deserialize_u8 => Int32, visit_u64(0), deserialize_u16 => Int32, visit_u64(0), deserialize_u32 => Int64, visit_u64(0),
        deserialize_u64 => Int64, visit_u64(0),
        deserialize_f32 => Number, visit_f64(0.0), deserialize_f64 => Number, visit_f64(0.0),
        deserialize_char => String, visit_char('x'),
        deserialize_bytes => Bytes, visit_bytes(&[]), deserialize_byte_buf => Bytes, visit_bytes(&[]),
        deserialize_unit => Object, visit_unit(), deserialize_ignored_any => Object, visit_unit(),
        deserialize_identifier => String, visit_str(""),
    }

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        // Opaque leaves that take a string: a Quantity, a RawExtension's JSON, or (outside a
        // newtype) an IntOrString.
        self.put(Node::Leaf(match self.newtype {
            Some("Quantity") => Leaf::Quantity,
            Some(_) => Leaf::Object,
            None => Leaf::IntOrString,
        }));
        v.visit_str("")
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let expecting = format!("{}", &v as &dyn de::Expected);
        self.put(Node::Leaf(if self.time {
            Leaf::DateTime
        } else if expecting.contains("base64") {
            Leaf::Bytes
        } else {
            Leaf::String
        }));
        match (self.fixed, self.time) {
            (Some(f), _) => v.visit_str(f),
            (None, true) => v.visit_str("2000-01-01T00:00:00.000000Z"),
            (None, false) => v.visit_str(""),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if self.depth > MAX_DEPTH {
            self.put(Node::Leaf(Leaf::Object));
            return v.visit_none();
        }
        v.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, Error> {
        self.put(Node::Leaf(Leaf::Object));
        v.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, Error> {
        let time = matches!(name, "Time" | "MicroTime");
        v.visit_newtype_struct(Ex { time, newtype: Some(name), ..self })
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let child: Slot = Rc::default();
        let more = self.depth <= MAX_DEPTH;
        let r = v.visit_seq(One { ex: more.then(|| self.child(child.clone())) })?;
        self.put(if more { Node::Seq(Box::new(taken(&child))) } else { Node::Leaf(Leaf::Object) });
        Ok(r)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _name: &'static str, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let child: Slot = Rc::default();
        let more = self.depth <= MAX_DEPTH;
        let r = v.visit_map(OneEntry { ex: more.then(|| self.child(child.clone())), key_done: false })?;
        self.put(if more { Node::Map(Box::new(taken(&child))) } else { Node::Leaf(Leaf::Object) });
        Ok(r)
    }

    fn deserialize_struct<V: Visitor<'de>>(mut self, name: &'static str, fields: &'static [&'static str], v: V) -> Result<V::Value, Error> {
        // Resources nested in others (a StatefulSet's claim templates) check their type too.
        if self.top.is_none() && name == "PersistentVolumeClaim" {
            self.top = Some(("v1", "PersistentVolumeClaim"));
        }
        let slots: Vec<Slot> = fields.iter().map(|_| Rc::default()).collect();
        let access = Fields { parent: &self, fields, slots: &slots, next: 0 };
        let r = v.visit_map(access)?;
        self.put(Node::Struct(name, fields.iter().zip(&slots).map(|(f, s)| (*f, taken(s))).collect()));
        Ok(r)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _name: &'static str, _variants: &'static [&'static str], _v: V) -> Result<V::Value, Error> {
        Err(de::Error::custom("enums are not part of the Kubernetes types"))
    }
}

/// A list with one element: its shape is the element type's.
struct One {
    ex: Option<Ex>,
}

impl<'de> SeqAccess<'de> for One {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        match self.ex.take() {
            Some(ex) => seed.deserialize(ex).map(Some),
            None => Ok(None),
        }
    }
}

/// A map with one entry.
struct OneEntry {
    ex: Option<Ex>,
    key_done: bool,
}

impl<'de> MapAccess<'de> for OneEntry {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        if self.ex.is_none() || self.key_done {
            return Ok(None);
        }
        self.key_done = true;
        seed.deserialize("k".into_deserializer()).map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let ex = self.ex.take().ok_or_else(|| de::Error::custom("value without key"))?;
        seed.deserialize(ex)
    }
}

/// Every field of a struct, once.
struct Fields<'a> {
    parent: &'a Ex,
    fields: &'static [&'static str],
    slots: &'a [Slot],
    next: usize,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        match self.fields.get(self.next) {
            Some(f) => seed.deserialize((*f).into_deserializer()).map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let i = self.next;
        self.next += 1;
        let mut ex = self.parent.child(self.slots[i].clone());
        if let Some((api_version, kind)) = self.parent.top {
            ex.fixed = match self.fields[i] {
                "apiVersion" => Some(api_version),
                "kind" => Some(kind),
                _ => None,
            };
        }
        seed.deserialize(ex)
    }
}

/// The shape of `T`, a top-level kind with this apiVersion and kind.
pub fn shape<T: for<'de> serde::Deserialize<'de>>(api_version: &'static str, kind: &'static str) -> Result<Node, String> {
    let slot: Slot = Rc::default();
    let ex = Ex { slot: slot.clone(), depth: 0, time: false, newtype: None, fixed: None, top: Some((api_version, kind)) };
    T::deserialize(ex).map_err(|e| format!("{kind}: {e}"))?;
    Ok(taken(&slot))
}
