package logstore

import "strings"

// SetPruneBatch lets tests prune in small batches.
func SetPruneBatch(s *SQLite, n int) { s.pruneBatch = n }

// QueryPlan returns SQLite's plan for the page query of q.
func QueryPlan(s *SQLite, q Query) (string, error) {
	query, args, err := entriesSQL(q)
	if err != nil {
		return "", err
	}
	rows, err := s.db.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; "), rows.Err()
}
