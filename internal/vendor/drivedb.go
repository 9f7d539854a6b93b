package vendor

// driveDBFamily is replaced by the generated drive database lookup.
func driveDBFamily(model string) (slug, family string, ok bool) { return "", "", false }
