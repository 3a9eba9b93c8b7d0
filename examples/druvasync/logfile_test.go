package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// cycleIDs returns the distinct cycle ids of a provisioning log's records.
func cycleIDs(t *testing.T, text string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	for line := range strings.Lines(text) {
		if id, ok := strings.CutPrefix(line, `{"changeId":`); ok {
			if _, id, ok = strings.Cut(id, `"cycleId":"`); ok {
				id, _, _ = strings.Cut(id, `"`)
				ids[id] = true
			}
			continue
		}
		if f := strings.Split(line, ","); len(f) > 2 && f[1] != "cycleId" {
			ids[f[1]] = true
		}
	}
	return ids
}

// TestLogAppends: every sync appends its records to the provisioning log,
// CSV with one header at the top, JSON lines one record a line, and what
// was there before stays.
func TestLogAppends(t *testing.T) {
	for _, name := range []string{"log.csv", "log.jsonl"} {
		t.Run(name, func(t *testing.T) {
			g, _, vars, flags := fakePair(t)
			dir := t.TempDir()
			logFile := filepath.Join(dir, name)
			args := append([]string{"sync", "--state", filepath.Join(dir, "state"), "--log", logFile}, flags...)
			if status, out, errOut := runCLI(t, vars, args...); status != 0 {
				t.Fatalf("first sync: status %d\n%s\n%s", status, out, errOut)
			}
			first, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatal(err)
			}
			id, err := g.CreateUser(map[string]any{"userPrincipalName": "kari@contoso.example", "displayName": "Kari Nordmann",
				"mail": "kari@contoso.example", "mailNickname": "kari", "givenName": "Kari", "surname": "Nordmann", "accountEnabled": true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.AddAssignment(id, g.AppRoles()[0].ID); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(name, ".csv") {
				// A run killed in the middle of its write left half a record.
				cut := []byte(`{"changeId":"cut short`)
				first = append(first, cut...)
				if err := os.WriteFile(logFile, first, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if status, out, errOut := runCLI(t, vars, args...); status != 0 {
				t.Fatalf("second sync: status %d\n%s\n%s", status, out, errOut)
			}
			both, err := os.ReadFile(logFile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(both, first) || len(both) == len(first) {
				t.Fatalf("the second sync did not append to the log: %d bytes, then %d", len(first), len(both))
			}
			if ids := cycleIDs(t, string(both)); len(ids) != 2 {
				t.Errorf("log holds the records of cycles %v, want two", ids)
			}
			if !strings.Contains(string(both[len(first):]), "kari@contoso.example") {
				t.Errorf("the second cycle's create is not in the log")
			}
			if !strings.HasSuffix(name, ".csv") && !bytes.Contains(both, []byte("cut short\n{")) {
				t.Errorf("the appended records run on from the cut record")
			}
			header := csvHeader
			if n := strings.Count(string(both), header); strings.HasSuffix(name, ".csv") && n != 1 {
				t.Errorf("%d CSV headers in the log, want 1", n)
			}
		})
	}
}

// TestLogToFIFO: a log target that is not a regular file (a named pipe
// here, as /dev/stdout or a device) is written to, not replaced by a file.
func TestLogToFIFO(t *testing.T) {
	_, _, vars, flags := fakePair(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "log.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo) // waits for the writer
		if err != nil {
			got <- nil
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- b
	}()
	status, out, errOut := runCLI(t, vars, append([]string{"sync", "--state", filepath.Join(dir, "state"), "--log", fifo}, flags...)...)
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the named pipe was replaced: %v %v (sync status %d, stderr %s)", fi.Mode(), err, status, errOut)
	}
	// Let the reader go in case sync never opened the pipe.
	if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
		w.Close()
	}
	if status != 0 {
		t.Fatalf("sync: status %d\n%s\n%s", status, out, errOut)
	}
	text := string(<-got)
	if !strings.HasPrefix(text, csvHeader+"\n") || !strings.Contains(text, ",Create,") {
		t.Errorf("the pipe received:\n%s", text)
	}
}

// csvHeader is the first line of writeCSV.
const csvHeader = "changeId,cycleId,time,sourceId,targetId,displayName,action,status,reason,steps,modified,errorCode,message,detail"
