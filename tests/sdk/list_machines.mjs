// Lists Arc machines through the official SDKs, unchanged, against the endpoints of a cloud.json.
// Usage: node list_machines.mjs <cloud.json> <appId> <password>
// The emulator's CA is trusted through NODE_EXTRA_CA_CERTS, as any custom CA would be.
import { readFileSync } from "node:fs";
import { ClientSecretCredential } from "@azure/identity";
import { HybridComputeManagementClient } from "@azure/arm-hybridcompute";

const [cloudPath, appId, password] = process.argv.slice(2);
const cloud = JSON.parse(readFileSync(cloudPath, "utf8"));
const credential = new ClientSecretCredential(cloud.tenantId, appId, password, {
  authorityHost: cloud.endpoints.entra,
  // A private cloud: MSAL's instance discovery would ask the public cloud about this authority.
  disableInstanceDiscovery: true,
});
const client = new HybridComputeManagementClient(credential, cloud.subscriptionId, {
  endpoint: cloud.endpoints.arm,
});
const machines = [];
for await (const machine of client.machines.listBySubscription()) {
  machines.push({
    name: machine.name,
    status: machine.properties?.status ?? machine.status,
    vmId: machine.properties?.vmId ?? machine.vmId,
  });
}
console.log(JSON.stringify(machines));
