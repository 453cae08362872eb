// Kubernetes' DNS name checks (k8s.io/apimachinery validation): each returns the list of reasons the value
// is not acceptable, empty when it is, worded as the API server words them.

const dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const dns1123SubdomainFormat = `${dns1123LabelFormat}(\\.${dns1123LabelFormat})*`;
const wildcardDns1123SubdomainFormat = `\\*\\.${dns1123SubdomainFormat}`;
const dns1035LabelFormat = "[a-z]([-a-z0-9]*[a-z0-9])?";

const dns1123SubdomainMaxLength = 253;
const dns1035LabelMaxLength = 63;

const fullMatch = (format: string) => new RegExp(`^${format}$`);
const dns1123Subdomain = fullMatch(dns1123SubdomainFormat);
const wildcardDns1123Subdomain = fullMatch(wildcardDns1123SubdomainFormat);
const dns1035Label = fullMatch(dns1035LabelFormat);

const maxLengthError = (length: number) => `must be no more than ${length} characters`;

// The API server's wording, double space before "or" included.
function regexError(message: string, format: string, examples: readonly string[]): string {
  const shown = examples.map((example) => `'${example}', `).join(" or ");
  return `${message} (e.g. ${shown}regex used for validation is '${format}')`;
}

function check(value: string, maxLength: number, pattern: RegExp, patternError: string): string[] {
  const errors: string[] = [];
  if (value.length > maxLength) errors.push(maxLengthError(maxLength));
  if (!pattern.test(value)) errors.push(patternError);
  return errors;
}

/** A DNS subdomain such as `api.example.com` (RFC 1123, lower case). */
export function dns1123SubdomainErrors(value: string): string[] {
  return check(
    value,
    dns1123SubdomainMaxLength,
    dns1123Subdomain,
    regexError(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
      dns1123SubdomainFormat,
      ["example.com"],
    ),
  );
}

/** A wildcard DNS subdomain such as `*.example.com`. */
export function wildcardDns1123SubdomainErrors(value: string): string[] {
  return check(
    value,
    dns1123SubdomainMaxLength,
    wildcardDns1123Subdomain,
    regexError(
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
      wildcardDns1123SubdomainFormat,
      ["*.example.com"],
    ),
  );
}

/** A DNS-1035 label such as `my-name`: what Kubernetes requires of Service names. */
export function dns1035LabelErrors(value: string): string[] {
  return check(
    value,
    dns1035LabelMaxLength,
    dns1035Label,
    regexError(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
      dns1035LabelFormat,
      ["my-name", "abc-123"],
    ),
  );
}
