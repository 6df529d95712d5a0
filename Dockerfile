# syntax=docker/dockerfile:1
# Build stage: compile native modules (better-sqlite3) and TypeScript.
FROM node:20-alpine AS build
RUN apk add --no-cache python3 make g++
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# Runtime stage: only the compiled code and production dependencies, as a non-root user.
# node:20-alpine (~135 MB) keeps the image under 200 MB; the slim Debian base does not.
FROM node:20-alpine
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY package.json ./
RUN addgroup -S coffer && adduser -S -G coffer -h /var/lib/coffer coffer \
 && mkdir -p /var/lib/coffer /etc/coffer && chown coffer:coffer /var/lib/coffer
USER coffer
EXPOSE 8200 8201
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:8200/v1/sys/health?standbyok=true&sealedcode=200&uninitcode=200').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "/app/bin/coffer.js"]
CMD ["server", "-config=/etc/coffer/config.hcl"]
