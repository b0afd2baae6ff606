/** Exact m2 XML bodies, as the contract writes them. */
export const UPDATE_OK = '<response><success>true</success><message>Request successfully submitted</message></response>';

export function m2Error(message: string): string {
  return `<response><success>false</success><message>${message}</message></response>`;
}
