// Package cliconfig gives every flag of a command three more sources, in this
// order of precedence:
//
//	command line > environment (MEMLEDGER_<FLAG>) > YAML config file > default
//
// The config file's keys are the flag names ("db", "listen", "batch-max");
// its values are scalars, or lists for repeatable flags. The environment
// variable of a flag is its name upper-cased with '-' turned into '_' and
// the prefix MEMLEDGER_ (--batch-max: MEMLEDGER_BATCH_MAX); a repeatable
// flag takes a comma-separated list there. A key that is no flag of any
// command is an error naming the file and line, so a typo never silently
// leaves a default in place.
//
// Resolve is the one loader of both binaries: what differs between them
// (the default file, which keys a file may hold) is data passed to it.
// Sizes are ByteSize, the one byte-size syntax of both.
package cliconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/memledger/memledger/internal/fileutil"
)

// EnvPrefix starts the environment variable of every flag.
const EnvPrefix = "MEMLEDGER_"

// EnvName returns the environment variable of a flag: "batch-max" ->
// "MEMLEDGER_BATCH_MAX".
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// skipped are flags no other source may set.
var skipped = map[string]bool{"help": true, "version": true, ConfigFlag: true}

// File is a parsed config file.
type File struct {
	// Path is the file's name as given, for messages.
	Path   string
	values map[string]value
}

// value is one key of the file.
type value struct {
	line  int
	items []string // one for a scalar
	list  bool
}

// Known says which keys a config file may hold: Key reports whether a key
// is a flag name of some command, Hint ends the message about an unknown
// key ("keys are the flag names of memledger-agent run, e.g. collector").
type Known struct {
	Key  func(key string) bool
	Hint string
}

// ConfigFlag is the flag that names the config file; its default value is
// the binary's default file ("" for none), which may be missing. A file
// named by the flag or by MEMLEDGER_CONFIG must exist; either set to ""
// reads no file.
const ConfigFlag = "config"

// Resolve sets every flag of flags that the command line left unset from
// the environment (lookupEnv, usually os.LookupEnv) or the config file,
// in this order: --config, else MEMLEDGER_CONFIG, else --config's default.
// known says which keys the file may hold. It returns the file read, ""
// when none was.
func Resolve(flags *pflag.FlagSet, known Known, lookupEnv func(string) (string, bool)) (string, error) {
	var path string
	explicit := flags.Changed(ConfigFlag)
	if fl := flags.Lookup(ConfigFlag); fl != nil {
		path = fl.Value.String()
	}
	if !explicit && lookupEnv != nil {
		if env, ok := lookupEnv(EnvName(ConfigFlag)); ok {
			path, explicit = env, true
		}
	}
	var file *File
	if path != "" {
		f, err := Load(path, known)
		switch {
		case err == nil:
			file = f
		case !explicit && errors.Is(err, fs.ErrNotExist):
			// No file at the default place: flags and environment only.
			path = ""
		default:
			return "", err
		}
	}
	if err := Apply(flags, file, lookupEnv); err != nil {
		return "", err
	}
	return path, nil
}

// maxConfigBytes bounds a config file: real ones are a few lines, and a
// wrong path (/dev/zero, a disk image) must not exhaust memory.
const maxConfigBytes = 1 << 20

// Load reads and parses the config file at path. Keys that known rejects
// are errors with file:line.
func Load(path string, known Known) (*File, error) {
	data, err := fileutil.ReadFileLimit(path, maxConfigBytes)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	return Parse(path, data, known)
}

// Parse parses config file data; path names it in errors.
func Parse(path string, data []byte, known Known) (*File, error) {
	f := &File{Path: path, values: map[string]value{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if doc.Kind == 0 || (doc.Kind == yaml.DocumentNode && len(doc.Content) == 0) {
		return f, nil // only comments
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("config file %s: want one YAML document", path)
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return f, nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: want a mapping of flag names to values (key: value)", path, root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s:%d: key must be a flag name", path, k.Line)
		}
		key := k.Value
		if skipped[key] || !known.Key(key) {
			return nil, fmt.Errorf("%s:%d: unknown key %q (%s)", path, k.Line, key, known.Hint)
		}
		if prev, dup := f.values[key]; dup {
			return nil, fmt.Errorf("%s:%d: key %q already set on line %d", path, k.Line, key, prev.line)
		}
		val := value{line: k.Line}
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag == "!!null" {
				continue // "key:" with no value leaves the flag alone
			}
			val.items = []string{v.Value}
		case yaml.SequenceNode:
			val.list = true
			for _, item := range v.Content {
				if item.Kind != yaml.ScalarNode {
					return nil, fmt.Errorf("%s:%d: %s: list items must be plain values", path, item.Line, key)
				}
				val.items = append(val.items, item.Value)
			}
		default:
			return nil, fmt.Errorf("%s:%d: %s: want a value or a list of values", path, v.Line, key)
		}
		f.values[key] = val
	}
	return f, nil
}

// Keys returns the keys set in the file, sorted.
func (f *File) Keys() []string {
	if f == nil {
		return nil
	}
	keys := make([]string, 0, len(f.values))
	for k := range f.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Apply sets every flag of fs that the command line did not set from the
// environment (looked up with lookupEnv, usually os.LookupEnv) or, failing
// that, from file (which may be nil). Keys of file that are not flags of fs
// belong to other commands and are ignored here.
func Apply(fs *pflag.FlagSet, file *File, lookupEnv func(string) (string, bool)) error {
	var errs []error
	fs.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || skipped[fl.Name] {
			return
		}
		if lookupEnv != nil {
			if env, ok := lookupEnv(EnvName(fl.Name)); ok {
				if err := setFlag(fs, fl, splitEnv(fl, env), false); err != nil {
					errs = append(errs, fmt.Errorf("environment %s=%q: %w", EnvName(fl.Name), env, err))
				}
				return
			}
		}
		if file == nil {
			return
		}
		v, ok := file.values[fl.Name]
		if !ok {
			return
		}
		if err := setFlag(fs, fl, v.items, v.list); err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %s: %w", file.Path, v.line, fl.Name, err))
		}
	})
	return errors.Join(errs...)
}

// isList reports whether fl is a repeatable flag (string array, slice).
func isList(fl *pflag.Flag) bool {
	_, ok := fl.Value.(pflag.SliceValue)
	return ok
}

// splitEnv splits the environment value of a repeatable flag at commas.
func splitEnv(fl *pflag.Flag, env string) []string {
	if !isList(fl) {
		return []string{env}
	}
	var items []string
	for _, s := range strings.Split(env, ",") {
		if s = strings.TrimSpace(s); s != "" {
			items = append(items, s)
		}
	}
	return items
}

func setFlag(fs *pflag.FlagSet, fl *pflag.Flag, items []string, fromList bool) error {
	if isList(fl) {
		// Replace the default rather than append to it.
		if err := fl.Value.(pflag.SliceValue).Replace(items); err != nil {
			return err
		}
		fl.Changed = true
		return nil
	}
	if fromList {
		return fmt.Errorf("takes one value, not a list")
	}
	if len(items) != 1 {
		return fmt.Errorf("takes one value")
	}
	return fs.Set(fl.Name, items[0])
}
