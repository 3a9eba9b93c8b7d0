package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/druvascim/druvascim"
)

// provisioningLog is the --log target, opened before the cycle writes
// anything to Druva, so that a log that cannot be written stops the run
// first. Each run appends its records: CSV for a .csv name (the header
// only at the top of a new or empty file), JSON lines otherwise.
//
// A target that is not a regular file (a named pipe, /dev/stdout, a
// terminal, a device) is written to directly and never replaced; a named
// pipe waits for its reader to open it, as a shell redirection does.
type provisioningLog struct {
	path    string
	file    *os.File
	regular bool // a regular file: appended to, fsynced
	csv     bool
}

// openLog opens the provisioning log at path for appending, creating a
// regular file (owner-only) when there is none.
func openLog(path string) (*provisioningLog, error) {
	l := &provisioningLog{path: path, csv: strings.EqualFold(filepath.Ext(path), ".csv")}
	fi, err := os.Stat(path) // through links: /dev/stdout is one
	switch {
	case err == nil && fi.IsDir():
		return nil, badInput("--log %s is a directory; give the path of a file", path)
	case err == nil && !fi.Mode().IsRegular():
		l.file, err = os.OpenFile(path, os.O_WRONLY, 0)
	case err == nil || errors.Is(err, fs.ErrNotExist):
		l.regular = true
		l.file, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	}
	if err != nil {
		return nil, badInput("cannot write the log %s: %v", path, unwrapPathError(err))
	}
	return l, nil
}

// write appends the report's records in one write.
func (l *provisioningLog) write(rep *druvascim.Report) error {
	var buf bytes.Buffer
	var err error
	if l.csv {
		err = writeCSV(&buf, rep)
	} else {
		err = writeJSONLines(&buf, rep)
	}
	if err != nil {
		return fmt.Errorf("cannot write the log %s: %v", l.path, err)
	}
	data := buf.Bytes()
	if l.regular {
		if data, err = l.continuation(data); err != nil {
			return fmt.Errorf("cannot write the log %s: %v", l.path, unwrapPathError(err))
		}
	}
	if _, err := l.file.Write(data); err != nil {
		return fmt.Errorf("cannot write the log %s: %v", l.path, unwrapPathError(err))
	}
	if l.regular {
		if err := l.file.Sync(); err != nil {
			return fmt.Errorf("cannot write the log %s: fsync: %v", l.path, unwrapPathError(err))
		}
	}
	return nil
}

// continuation adapts records to the end of a regular file that already
// holds some: without the CSV header, and after a line break when the last
// record was cut short (a run killed in the middle of its write).
func (l *provisioningLog) continuation(data []byte) ([]byte, error) {
	fi, err := l.file.Stat()
	if err != nil || fi.Size() == 0 {
		return data, err
	}
	if l.csv {
		// writeCSV starts with its header line, which holds no line
		// break: the file already has one.
		if _, rest, ok := bytes.Cut(data, []byte("\n")); ok {
			data = rest
		}
	}
	last := make([]byte, 1)
	if _, err := l.file.ReadAt(last, fi.Size()-1); err != nil {
		return nil, err
	}
	if last[0] != '\n' {
		data = append([]byte{'\n'}, data...)
	}
	return data, nil
}

// Close closes the log.
func (l *provisioningLog) Close() error { return l.file.Close() }
