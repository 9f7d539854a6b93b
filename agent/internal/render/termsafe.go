package render

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/memledger/memledger/internal/termsafe"
	memledgerv1 "github.com/memledger/memledger/proto/memledger/v1"
)

// terminalSafe returns inv for a terminal: a copy with every string field
// (map keys included) escaped by termsafe.String, or inv itself when none
// needs it. Walking the message rather than the table's cells leaves no
// field forgotten, now or when the table grows.
func terminalSafe(inv *memledgerv1.Inventory) *memledgerv1.Inventory {
	if inv == nil || !escapeStrings(inv.ProtoReflect(), false) {
		return inv
	}
	c := proto.Clone(inv).(*memledgerv1.Inventory)
	escapeStrings(c.ProtoReflect(), true)
	return c
}

// escapeStrings reports whether any string in m needs escaping and, with
// apply, escapes them in place.
func escapeStrings(m protoreflect.Message, apply bool) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			mp := v.Map()
			type entry struct {
				k protoreflect.MapKey
				v protoreflect.Value
			}
			var redo []entry
			mp.Range(func(k protoreflect.MapKey, val protoreflect.Value) bool {
				keyUnsafe := fd.MapKey().Kind() == protoreflect.StringKind && !termsafe.Safe(k.String())
				switch fd.MapValue().Kind() {
				case protoreflect.StringKind:
					if keyUnsafe || !termsafe.Safe(val.String()) {
						found = true
						redo = append(redo, entry{k, val})
					}
				case protoreflect.MessageKind:
					if escapeStrings(val.Message(), apply) {
						found = true
					}
					if keyUnsafe {
						found = true
						redo = append(redo, entry{k, val})
					}
				default:
					if keyUnsafe {
						found = true
						redo = append(redo, entry{k, val})
					}
				}
				return apply || !found
			})
			if apply {
				for _, e := range redo {
					mp.Clear(e.k)
					val := e.v
					if fd.MapValue().Kind() == protoreflect.StringKind {
						val = protoreflect.ValueOfString(termsafe.String(val.String()))
					}
					key := e.k
					if fd.MapKey().Kind() == protoreflect.StringKind {
						key = protoreflect.ValueOfString(termsafe.String(e.k.String())).MapKey()
					}
					mp.Set(key, val)
				}
			}
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				switch fd.Kind() {
				case protoreflect.StringKind:
					if s := l.Get(i).String(); !termsafe.Safe(s) {
						found = true
						if apply {
							l.Set(i, protoreflect.ValueOfString(termsafe.String(s)))
						}
					}
				case protoreflect.MessageKind:
					if escapeStrings(l.Get(i).Message(), apply) {
						found = true
					}
				}
			}
		case fd.Kind() == protoreflect.StringKind:
			if s := v.String(); !termsafe.Safe(s) {
				found = true
				if apply {
					m.Set(fd, protoreflect.ValueOfString(termsafe.String(s)))
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			if escapeStrings(v.Message(), apply) {
				found = true
			}
		}
		return apply || !found
	})
	return found
}
