// Gets the machine's managed identity token through himds's IMDS endpoint with the official SDK,
// unchanged, exactly as an application on an Arc-enabled server does.
// Usage: node arc_managed_identity.mjs [scope]
// The Azure Arc source is chosen by IDENTITY_ENDPOINT and IMDS_ENDPOINT in the environment; the
// SDK reads the challenge's key file only under /var/opt/azcmagent/tokens/, so himds must run on
// the host's paths. Prints {"token": "<JWT>", "expiresOnTimestamp": <ms>}.
import { ManagedIdentityCredential } from "@azure/identity";

const scope = process.argv[2] ?? "https://management.azure.com/.default";
const credential = new ManagedIdentityCredential();
const token = await credential.getToken(scope);
console.log(
  JSON.stringify({ token: token.token, expiresOnTimestamp: token.expiresOnTimestamp }),
);
