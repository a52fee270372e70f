# The fleet CLI and agent. docker compose uses it for the agent service.
FROM node:20-bookworm-slim
WORKDIR /opt/fleet
COPY package.json package-lock.json turbo.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
RUN ln -s /opt/fleet/packages/cli/bin/fleet.js /usr/local/bin/fleet
USER node
# Made here, owned by node, so that the compose file's volume for it starts
# out node's (a volume mounted on a missing path would be root's).
RUN mkdir -p /home/node/.local/state/fleet
WORKDIR /home/node
ENTRYPOINT ["fleet"]
CMD ["agent"]
