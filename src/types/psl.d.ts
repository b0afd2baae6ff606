// psl ships types its package.json "exports" do not expose; the slice profile-edge uses.
declare module 'psl' {
  interface ParsedDomain {
    input: string;
    tld: string | null;
    sld: string | null;
    domain: string | null;
    subdomain: string | null;
    listed: boolean;
  }
  interface ErrorResult {
    input: string;
    error: { message: string; code: string };
  }
  const psl: {
    parse(domain: string): ParsedDomain | ErrorResult;
    get(domain: string): string | null;
    isValid(domain: string): boolean;
  };
  export default psl;
}
