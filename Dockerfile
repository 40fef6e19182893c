# One image for every service; docker-compose.yml picks the command per service.
# The playground (GraphiQL) is bundled in a build stage: its tools stay out of the image.
FROM node:20-bookworm-slim AS playground
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY schema schema
COPY router/playground router/playground
COPY scripts/build-playground.ts scripts/
COPY tsconfig.json ./
RUN npx tsx scripts/build-playground.ts

FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY lib lib
COPY router router
COPY schema schema
COPY subgraphs subgraphs
COPY scripts scripts
COPY tsconfig.json ./
COPY --from=playground /app/router/playground/dist router/playground/dist
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
ENV NODE_ENV=development
