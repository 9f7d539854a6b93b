package maker

import "testing"

// BenchmarkBuildRegistry measures the one-time cost every one-shot scan pays
// on its first identification.
func BenchmarkBuildRegistry(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		buildRegistry()
	}
}

// The curated tier answers lookups without building the full tables; it
// must never answer differently from them.
func TestCuratedTierAgreesWithFullTables(t *testing.T) {
	c, r := curatedReg(), reg()
	for _, n := range curatedNameKeys {
		if r.names[n.key] != n.slug {
			t.Errorf("name key %q: curated %q, full %q", n.key, n.slug, r.names[n.key])
		}
	}
	for slug, m := range c.bySlug {
		if f := r.bySlug[slug]; f == nil || f.vendor().ID != m.ID || f.Name != m.Name || f.Parent != m.Parent {
			t.Errorf("slug %q: curated %+v, full %+v", slug, m, f)
		}
	}
	for id, m := range c.byJEP106 {
		if f := r.byJEP106[id]; f == nil || f.ID != m.ID {
			t.Errorf("JEP106 %s: curated %s, full %v", id, m.ID, f)
		}
	}
}

// BenchmarkBuildCurated is the cost a one-shot scan pays for its first
// module named by a catalogue maker: the curated tier only.
func BenchmarkBuildCurated(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		buildCurated()
	}
}
