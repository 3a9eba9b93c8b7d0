package mapping

type funcID uint8

// The documented functions, plus AssertiveAppRoleAssignmentsComplex (the
// role function Entra offers for SCIM apps that replace roles).
const (
	fnNone funcID = iota
	fnAppend
	fnAppRoleAssignmentsComplex
	fnAssertiveAppRoleAssignmentsComplex
	fnBitAnd
	fnCBool
	fnCDate
	fnCoalesce
	fnConvertToBase64
	fnConvertToUTF8Hex
	fnCount
	fnCStr
	fnDateAdd
	fnDateDiff
	fnDateFromNum
	fnDefaultDomain
	fnFormatDateTime
	fnGuid
	fnIgnoreFlowIfNullOrEmpty
	fnIIF
	fnInStr
	fnIsNull
	fnIsNullOrEmpty
	fnIsPresent
	fnIsString
	fnItem
	fnJoin
	fnLeft
	fnLen
	fnMid
	fnNormalizeDiacritics
	fnNot
	fnNow
	fnNumFromDate
	fnPCase
	fnRandomString
	fnRedact
	fnRemoveDuplicates
	fnReplace
	fnSelectUniqueValue
	fnSingleAppRoleAssignment
	fnSplit
	fnStripSpaces
	fnSwitch
	fnToLower
	fnToUpper
	fnWord
	fnCount_
)

// funcInfo is the static description of one function: its name as
// documented (case-sensitive), how many arguments it takes (max -1: no
// upper bound), whether the count must be even, and which positions must
// not be omitted.
type funcInfo struct {
	name     string
	min, max int
	even     bool
	required string // one byte per leading argument: 'r' required, '-' optional
}

// funcTable describes every function, indexed by funcID. Read-only.
var funcTable = [fnCount_]funcInfo{
	fnNone:                               {name: ""},
	fnAppend:                             {"Append", 2, 2, false, "r-"},
	fnAppRoleAssignmentsComplex:          {"AppRoleAssignmentsComplex", 1, 1, false, "r"},
	fnAssertiveAppRoleAssignmentsComplex: {"AssertiveAppRoleAssignmentsComplex", 1, 1, false, "r"},
	fnBitAnd:                             {"BitAnd", 2, 2, false, "rr"},
	fnCBool:                              {"CBool", 1, 1, false, "r"},
	fnCDate:                              {"CDate", 1, 1, false, "r"},
	fnCoalesce:                           {"Coalesce", 1, -1, false, ""},
	fnConvertToBase64:                    {"ConvertToBase64", 1, 1, false, "r"},
	fnConvertToUTF8Hex:                   {"ConvertToUTF8Hex", 1, 1, false, "r"},
	fnCount:                              {"Count", 1, 1, false, "r"},
	fnCStr:                               {"CStr", 1, 1, false, "r"},
	fnDateAdd:                            {"DateAdd", 3, 3, false, "rrr"},
	fnDateDiff:                           {"DateDiff", 3, 3, false, "rrr"},
	fnDateFromNum:                        {"DateFromNum", 1, 1, false, "r"},
	fnDefaultDomain:                      {"DefaultDomain", 0, 0, false, ""},
	fnFormatDateTime:                     {"FormatDateTime", 3, 4, false, ""},
	fnGuid:                               {"Guid", 0, 0, false, ""},
	fnIgnoreFlowIfNullOrEmpty:            {"IgnoreFlowIfNullOrEmpty", 1, 1, false, "r"},
	fnIIF:                                {"IIF", 3, 3, false, "r--"},
	fnInStr:                              {"InStr", 2, 4, false, "rr--"},
	fnIsNull:                             {"IsNull", 1, 1, false, "r"},
	fnIsNullOrEmpty:                      {"IsNullOrEmpty", 1, 1, false, "r"},
	fnIsPresent:                          {"IsPresent", 1, 1, false, "r"},
	fnIsString:                           {"IsString", 1, 1, false, "r"},
	fnItem:                               {"Item", 2, 2, false, "rr"},
	fnJoin:                               {"Join", 2, -1, false, ""},
	fnLeft:                               {"Left", 2, 2, false, "rr"},
	fnLen:                                {"Len", 1, 1, false, "r"},
	fnMid:                                {"Mid", 3, 3, false, "rrr"},
	fnNormalizeDiacritics:                {"NormalizeDiacritics", 1, 1, false, "r"},
	fnNot:                                {"Not", 1, 1, false, "r"},
	fnNow:                                {"Now", 0, 0, false, ""},
	fnNumFromDate:                        {"NumFromDate", 1, 1, false, "r"},
	fnPCase:                              {"PCase", 1, 2, false, "r-"},
	fnRandomString:                       {"RandomString", 5, 6, false, "rrrrr-"},
	fnRedact:                             {"Redact", 1, 1, false, "r"},
	fnRemoveDuplicates:                   {"RemoveDuplicates", 1, 1, false, "r"},
	fnReplace:                            {"Replace", 7, 7, false, "r"},
	fnSelectUniqueValue:                  {"SelectUniqueValue", 2, -1, false, ""},
	fnSingleAppRoleAssignment:            {"SingleAppRoleAssignment", 1, 1, false, "r"},
	fnSplit:                              {"Split", 2, 2, false, "rr"},
	fnStripSpaces:                        {"StripSpaces", 1, 1, false, "r"},
	fnSwitch:                             {"Switch", 4, -1, true, "r"},
	fnToLower:                            {"ToLower", 1, 2, false, "r-"},
	fnToUpper:                            {"ToUpper", 1, 2, false, "r-"},
	fnWord:                               {"Word", 3, 3, false, "rrr"},
}

// lookupFunc finds a function by its exact, case-sensitive name.
func lookupFunc(name string) (funcID, bool) {
	for i := fnAppend; i < fnCount_; i++ {
		if funcTable[i].name == name {
			return i, true
		}
	}
	return fnNone, false
}

// Functions returns the names of every function the expression language
// offers, in the order of the function reference.
func Functions() []string {
	out := make([]string, 0, int(fnCount_)-1)
	for i := fnAppend; i < fnCount_; i++ {
		out = append(out, funcTable[i].name)
	}
	return out
}
