// Creates, fails and deletes Arc machine extensions through the official SDK, unchanged, against
// the endpoints of a cloud.json; the long-running operations finish when the machine's agent
// reports (the calling test plays that agent).
// Usage: node machine_extensions.mjs <cloud.json> <appId> <password> <resourceGroup> <machine>
// Prints one JSON object: what each step returned or the error it threw.
// The emulator's CA is trusted through NODE_EXTRA_CA_CERTS, as any custom CA would be.
import { readFileSync } from "node:fs";
import { ClientSecretCredential } from "@azure/identity";
import { HybridComputeManagementClient } from "@azure/arm-hybridcompute";

const [cloudPath, appId, password, group, machine] = process.argv.slice(2);
const cloud = JSON.parse(readFileSync(cloudPath, "utf8"));
const credential = new ClientSecretCredential(cloud.tenantId, appId, password, {
  authorityHost: cloud.endpoints.entra,
  // A private cloud: MSAL's instance discovery would ask the public cloud about this authority.
  disableInstanceDiscovery: true,
});
const client = new HybridComputeManagementClient(credential, cloud.subscriptionId, {
  endpoint: cloud.endpoints.arm,
});
// Polls quickly: the test's agent answers within a fraction of a second.
const poll = { updateIntervalInMs: 200 };
const definition = (name) => ({
  location: "westeurope",
  properties: {
    publisher: "Contoso.Test",
    type: name,
    typeHandlerVersion: "1.0",
    settings: { greeting: "hello" },
    protectedSettings: { secret: "sdk-secret-value" },
  },
});
const summary = (extension) => ({
  name: extension.name,
  provisioningState: extension.properties?.provisioningState,
  hasProtectedSettings: extension.properties?.protectedSettings !== undefined,
  instanceView: extension.properties?.instanceView,
});
const failure = (error) => ({ error: String(error?.message ?? error) });

const result = {};
try {
  result.created = summary(
    await client.machineExtensions.beginCreateOrUpdateAndWait(
      group, machine, "healthy", definition("healthy"), poll));
} catch (error) {
  result.created = failure(error);
}
try {
  result.got = summary(await client.machineExtensions.get(group, machine, "healthy"));
} catch (error) {
  result.got = failure(error);
}
try {
  result.failed = summary(
    await client.machineExtensions.beginCreateOrUpdateAndWait(
      group, machine, "broken", definition("broken"), poll));
} catch (error) {
  result.failed = failure(error);
}
for (const name of ["healthy", "broken"]) {
  try {
    await client.machineExtensions.beginDeleteAndWait(group, machine, name, poll);
    result[`deleted_${name}`] = true;
  } catch (error) {
    result[`deleted_${name}`] = failure(error);
  }
}
const remaining = [];
for await (const extension of client.machineExtensions.list(group, machine)) {
  remaining.push(extension.name);
}
result.remaining = remaining;
console.log(JSON.stringify(result));
