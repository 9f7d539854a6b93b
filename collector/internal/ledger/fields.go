package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// FieldChange is one top-level field of a part or host record whose value
// changed. Old and New are JSON-ready: strings, numbers, booleans, nested
// messages as their protojson object, lists and maps as JSON arrays and
// objects; nil when the field is unset.
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// FieldChanges compares the top-level fields of two messages of the same
// type and lists those that differ, in field-number order, ignoring the
// fields named in skip. A nil message counts as empty. Unknown fields are
// ignored.
func FieldChanges(oldMsg, newMsg proto.Message, skip ...protoreflect.Name) []FieldChange {
	if oldMsg == nil && newMsg == nil {
		return nil
	}
	var o, n protoreflect.Message
	switch {
	case oldMsg == nil:
		n = newMsg.ProtoReflect()
		o = n.Type().Zero()
	case newMsg == nil:
		o = oldMsg.ProtoReflect()
		n = o.Type().Zero()
	default:
		o, n = oldMsg.ProtoReflect(), newMsg.ProtoReflect()
	}
	if o.Descriptor().FullName() != n.Descriptor().FullName() {
		return []FieldChange{{Field: "(type)", Old: string(o.Descriptor().FullName()), New: string(n.Descriptor().FullName())}}
	}
	var out []FieldChange
	fields := o.Descriptor().Fields()
outer:
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		for _, s := range skip {
			if fd.Name() == s {
				continue outer
			}
		}
		oh, nh := o.Has(fd), n.Has(fd)
		if !oh && !nh {
			continue
		}
		if oh && nh && equalValue(fd, o.Get(fd), n.Get(fd)) {
			continue
		}
		fc := FieldChange{Field: string(fd.Name())}
		if oh {
			fc.Old = jsonValue(fd, o.Get(fd))
		}
		if nh {
			fc.New = jsonValue(fd, n.Get(fd))
		}
		out = append(out, fc)
	}
	return out
}

// equalValue compares two values of field fd.
func equalValue(fd protoreflect.FieldDescriptor, a, b protoreflect.Value) bool {
	switch {
	case fd.IsList():
		la, lb := a.List(), b.List()
		if la.Len() != lb.Len() {
			return false
		}
		for i := 0; i < la.Len(); i++ {
			if !equalSingular(fd, la.Get(i), lb.Get(i)) {
				return false
			}
		}
		return true
	case fd.IsMap():
		ma, mb := a.Map(), b.Map()
		if ma.Len() != mb.Len() {
			return false
		}
		eq := true
		ma.Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
			w := mb.Get(k)
			if !w.IsValid() || !equalSingular(fd.MapValue(), v, w) {
				eq = false
			}
			return eq
		})
		return eq
	}
	return equalSingular(fd, a, b)
}

func equalSingular(fd protoreflect.FieldDescriptor, a, b protoreflect.Value) bool {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return proto.Equal(a.Message().Interface(), b.Message().Interface())
	case protoreflect.BytesKind:
		return bytes.Equal(a.Bytes(), b.Bytes())
	}
	return a.Interface() == b.Interface()
}

// jsonValue renders a field value for FieldChange.
func jsonValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch {
	case fd.IsList():
		l := v.List()
		out := make([]any, l.Len())
		for i := range out {
			out[i] = jsonSingular(fd, l.Get(i))
		}
		return out
	case fd.IsMap():
		out := map[string]any{}
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			out[k.String()] = jsonSingular(fd.MapValue(), mv)
			return true
		})
		return out
	}
	return jsonSingular(fd, v)
}

func jsonSingular(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(v.Message().Interface())
		if err != nil {
			return fmt.Sprintf("(unrenderable: %v)", err)
		}
		// protojson output is not byte-stable; compact it for the event.
		var buf bytes.Buffer
		if json.Compact(&buf, b) != nil {
			return string(b)
		}
		return json.RawMessage(buf.Bytes())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return int32(v.Enum())
	case protoreflect.BytesKind:
		return v.Bytes()
	case protoreflect.StringKind:
		return v.String()
	}
	return v.Interface()
}

// summarizeChanges renders changes for a human message:
// "firmware 1B2QEXM7 -> 2B2QEXM7, size_bytes 512 -> 1024". Nested messages
// are shown by their "id" when they have one (vendors).
func summarizeChanges(changes []FieldChange) string {
	parts := make([]string, 0, len(changes))
	for _, c := range changes {
		parts = append(parts, fmt.Sprintf("%s %s -> %s", c.Field, shortValue(c.Old), shortValue(c.New)))
	}
	return strings.Join(parts, ", ")
}

func shortValue(v any) string {
	const maxLen = 64
	var s string
	switch x := v.(type) {
	case nil:
		return "(none)"
	case string:
		if x == "" {
			return `""`
		}
		s = CleanText(x)
	case json.RawMessage:
		var m map[string]any
		if json.Unmarshal(x, &m) == nil {
			if id, ok := m["id"].(string); ok {
				return CleanText(id)
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return "{" + strings.Join(keys, ",") + "}"
		}
		s = string(x)
	default:
		s = fmt.Sprint(x)
	}
	if len(s) > maxLen {
		s = s[:maxLen] + "..."
	}
	return CleanText(s)
}
